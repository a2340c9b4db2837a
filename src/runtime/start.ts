/**
 * @module runtime/start
 * `bulwark start`: one App for `workers: 1` (the default, exactly the single-process path),
 * or a worker group's primary for more (runtime/group/primary).
 */
import { loadConfigFile } from '../config/index.js';
import { App } from './app.js';
import { startGroup } from './group/primary.js';
import { fileLoader, type ConfigLoader } from './reload.js';
import type { Running } from './running.js';

/** Reads the config once to learn `workers`, then starts that shape with the config already read. */
export async function startFromFile(configFile: string): Promise<Running> {
  const first = await loadConfigFile(configFile);
  let pending: typeof first | undefined = first;
  const later = fileLoader(configFile);
  const load: ConfigLoader = () => {
    const loaded = pending;
    pending = undefined;
    return loaded === undefined ? later() : Promise.resolve(loaded);
  };
  if (first.config.workers > 1) return startGroup(configFile, load, first.config.workers);
  return App.start({ configFile, load });
}
