import uPlot from 'uplot';
import type { ThroughputView } from '../../src/web/api-types.js';
import { formatDecimal } from './format.js';

/** The throughput chart: one uPlot instance, fed with setData on each poll, sized to its container. */

const HEIGHT = 240;

const COLORS = {
  indexed: '#2f7d4f',
  deadLettered: '#c0392b',
  released: '#c98a00',
} as const;

function fmt(_u: uPlot, v: number | null): string {
  return v === null || v === undefined ? '—' : formatDecimal(v);
}

export function toChartData(view: ThroughputView): uPlot.AlignedData {
  const perMin = 60 / Math.max(1, view.bucketSeconds);
  const xs: number[] = [];
  const indexed: number[] = [];
  const dead: number[] = [];
  const released: number[] = [];
  for (const p of view.points) {
    xs.push(p.t / 1000);
    indexed.push(p.indexed * perMin);
    dead.push(p.deadLettered * perMin);
    released.push(p.released * perMin);
  }
  return [xs, indexed, dead, released];
}

export class ThroughputChart {
  private plot: uPlot | undefined;
  private width = 0;
  private observer: ResizeObserver | undefined;

  constructor(private readonly container: HTMLElement) {}

  update(view: ThroughputView): void {
    const data = toChartData(view);
    const xs = data[0];
    this.container.classList.toggle('chart-empty', xs.length === 0);
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    this.width = this.measure();
    this.plot = new uPlot(this.options(this.width), data, this.container);
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this.container);
  }

  private measure(): number {
    return Math.max(280, Math.floor(this.container.clientWidth));
  }

  private resize(): void {
    if (!this.plot) return;
    const width = this.measure();
    if (width === this.width) return;
    this.width = width;
    this.plot.setSize({ width, height: HEIGHT });
  }

  private options(width: number): uPlot.Options {
    const series = (label: string, stroke: string, fill: string): uPlot.Series => ({
      label,
      stroke,
      fill,
      width: 2,
      points: { show: false },
      value: fmt,
    });
    return {
      width,
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#5b6472', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#d5dae1', width: 1 } },
        { stroke: '#5b6472', grid: { stroke: '#eceff3', width: 1 }, ticks: { stroke: '#d5dae1', width: 1 }, label: 'per minute', size: 56 },
      ],
      series: [
        { label: 'Time' },
        series('indexed/min', COLORS.indexed, 'rgba(47,125,79,0.10)'),
        series('dead-lettered/min', COLORS.deadLettered, 'rgba(192,57,43,0.08)'),
        series('released/min', COLORS.released, 'rgba(201,138,0,0.08)'),
      ],
    };
  }
}
