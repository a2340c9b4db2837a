// Sticky learn-mode load for autocannon (its `requests` option): every NEW_EVERY-th request
// starts a session (header x-bench-session and no cookie: origin.js answers Set-Cookie
// JSESSIONID, and bulwark learns the pin), every other one carries the cookie of one of the
// last RING sessions started (a pinned key, found in the node's table). The targets
// `bulwark-sticky` and `bulwark-fleet` (targets.js) both get this load.
export const NEW_EVERY = 10;
export const RING = 1000;

/** A fresh load; `tag` keeps session ids apart between targets and rounds. */
export function learnLoad(tag) {
  const ids = [];
  let n = 0;
  const setupRequest = (req) => {
    n++;
    if (ids.length === 0 || n % NEW_EVERY === 0) {
      const id = `${tag}-${n}`;
      if (ids.length < RING) ids.push(id);
      else ids[n % RING] = id;
      return { ...req, headers: { ...req.headers, 'x-bench-session': id } };
    }
    return { ...req, headers: { ...req.headers, cookie: `JSESSIONID=${ids[(n * 7919) % ids.length]}` } };
  };
  return [{ method: 'GET', path: '/', setupRequest }];
}
