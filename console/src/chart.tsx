// A uPlot time-series chart. uPlot draws straight to canvas and updates with setData: thousands of
// points at 1 Hz cost well under a millisecond, and it is ~50 kB (see docs/console.md).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  color: string;
}

export function TimeChart(props: { id: string; title: string; unit: string; series: Series[]; data: number[][]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: props.height ?? 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max * 1.15, min)] } },
      axes: [
        { stroke: '#9aa4b2', grid: { stroke: '#262c36' } },
        { stroke: '#9aa4b2', grid: { stroke: '#262c36' }, size: 60, label: props.unit },
      ],
      series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, points: { show: false } }))],
    };
    const u = new uPlot(opts, props.data as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(280, el.clientWidth), height: props.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [props.series.map((s) => s.label).join()]);
  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);
  const xs = props.data[0] ?? [];
  const last = props.data[1]?.[xs.length - 1] ?? 0;
  return (
    <div class="chart" data-testid={props.id} data-points={xs.length} data-last={last.toFixed(1)}>
      <div class="chart-title">{props.title}</div>
      <div ref={box} />
    </div>
  );
}
