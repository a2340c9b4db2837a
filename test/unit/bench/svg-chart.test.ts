/**
 * The bench chart (benchmarks/lib/svg-chart.js): axis ends, bar scaling, escaping, the worker
 * count of a row, and a whole chart with and without a workers' scaling curve.
 */
import { describe, expect, it } from 'vitest';
import { barPanel, buildChart, escapeXml, niceCeil, scale, workersOf } from '../../../benchmarks/lib/svg-chart.js';

describe('axis and bars', () => {
  it('ends an axis at 1, 2 or 5 × 10^k at or above the largest value', () => {
    expect(niceCeil(7569)).toBe(10000);
    expect(niceCeil(169)).toBe(200);
    expect(niceCeil(41)).toBe(50);
    expect(niceCeil(100)).toBe(100);
    expect(niceCeil(0.07)).toBe(0.1);
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(Number.NaN)).toBe(1);
  });

  it('scales a value to its share of the axis, clamped, 0 for none', () => {
    expect(scale(50, 200, 400)).toBe(100);
    expect(scale(250, 200, 400)).toBe(400);
    expect(scale(null, 200, 400)).toBe(0);
    expect(scale(5, 0, 400)).toBe(0);
  });

  it('draws the largest bar as long as the axis is', () => {
    const { svg } = barPanel('t', 'req/s', [{ name: 'a', rps: 10000 }, { name: 'b', rps: 5000 }], ['rps'], 0);
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[1]! * 2).toBeCloseTo(widths[0]!, 0);
  });

  it('escapes names', () => {
    expect(escapeXml('a<b>&"c\'')).toBe('a&#60;b&#62;&#38;&#34;c&#39;');
  });
});

describe('buildChart', () => {
  const row = (rps: number, extra = {}) => ({ rps, cpuUsPerReq: 50, p50: 2, p99: 9, ...extra });

  it('takes the worker count from a field or the target name', () => {
    expect(workersOf('bulwark', {})).toBeNull();
    expect(workersOf('bulwark-w4', {})).toBe(4);
    expect(workersOf('bulwark-workers-8', {})).toBe(8);
    expect(workersOf('x', { workers: 2 })).toBe(2);
  });

  it('charts every target that did not fail, without a scaling curve for one worker count', () => {
    const svg = buildChart({
      config: { rounds: 3 },
      targets: { bulwark: row(9000), 'http-proxy': row(5000), broken: { error: 'x' } },
      verdict: { line: 'verdict: CPU/req PASS (0.6× < 1)' },
    });
    expect(svg).toContain('verdict: CPU/req PASS (0.6× &#60; 1)');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('>http-proxy<');
    expect(svg).not.toContain('broken');
    expect(svg).not.toContain('workers scaling');
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // self-contained
  });

  it('draws the scaling curve when there are several worker counts', () => {
    const svg = buildChart({
      targets: {
        'bulwark-full': row(4000, { workers: 1 }),
        bulwark: row(5000, { workers: 1 }),
        'bulwark-workers-2': row(9000),
        'bulwark-w4': row(16000),
      },
    });
    expect(svg).toContain('workers scaling');
    expect(svg.match(/<circle /g)).toHaveLength(3);
    const curve = svg.slice(svg.indexOf('workers scaling'));
    expect(curve).toContain('>5,000<'); // bulwark's point for 1 worker, not bulwark-full's
    expect(curve).not.toContain('>4,000<');
  });
});
