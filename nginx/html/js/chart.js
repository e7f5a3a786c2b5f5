// A bar chart of values per hour as plain SVG (no library): one bar per hour of the window,
// the largest value labelled, hours along the bottom. Colours come from console.css.
import { clear, svg } from './dom.js';

const W = 560;
const H = 160;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

// series: [{hour: unix s, value: n}] for every hour of the window, oldest first.
export function barChart(container, series, label) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label });
  const max = Math.max(1, ...series.map((p) => p.value));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, series.length);
  root.append(svg('line', { class: 'axis', x1: PAD.left, y1: PAD.top + plotH, x2: W - PAD.right, y2: PAD.top + plotH }));
  root.append(svg('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + 8, 'text-anchor': 'end' }, String(max)));
  root.append(svg('text', { class: 'tick', x: PAD.left - 4, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'));
  const every = Math.max(1, Math.ceil(series.length / 8));
  series.forEach((p, i) => {
    const h = (p.value / max) * plotH;
    const x = PAD.left + i * step;
    const bar = svg('rect', { class: 'bar', x: x + step * 0.1, y: PAD.top + plotH - h, width: Math.max(1, step * 0.8), height: h });
    bar.append(svg('title', {}, `${new Date(p.hour * 1000).toLocaleString()}: ${p.value}`));
    root.append(bar);
    if (i % every === 0) {
      const d = new Date(p.hour * 1000);
      root.append(svg('text', { class: 'tick', x: x + step / 2, y: H - 6, 'text-anchor': 'middle' },
        `${String(d.getHours()).padStart(2, '0')}h`));
    }
  });
  clear(container).append(root);
}
