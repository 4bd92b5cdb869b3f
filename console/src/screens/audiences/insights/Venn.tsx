/** A Venn-like sketch of 2 or 3 audiences (fixed circles, not to scale) with each region's exact size. */
import { formatNumber } from '../../../i18n';
import type { OverlapResult } from './api';

const COLORS = ['#1c7ed6', '#e8590c', '#2f9e44'];
const CIRCLES: Record<number, { cx: number; cy: number }[]> = {
  2: [{ cx: 150, cy: 110 }, { cx: 250, cy: 110 }],
  3: [{ cx: 160, cy: 100 }, { cx: 240, cy: 100 }, { cx: 200, cy: 170 }],
};
/** Where each region's number goes, by the mask of audiences it is in. */
const SPOTS: Record<number, Record<number, [number, number]>> = {
  2: { 1: [105, 115], 2: [295, 115], 3: [200, 115] },
  3: { 1: [120, 80], 2: [280, 80], 4: [200, 225], 3: [200, 65], 5: [150, 160], 6: [250, 160], 7: [200, 125] },
};

export function Venn({ data, label }: { data: OverlapResult; label: string }) {
  const n = data.audiences.length;
  const mask = (ids: string[]) => ids.reduce((m, id) => m | (1 << data.audiences.findIndex((a) => a.id === id)), 0);
  return (
    <svg viewBox="0 0 400 270" width="100%" style={{ maxWidth: 420 }} role="img" aria-label={label}>
      {CIRCLES[n]!.map((c, i) => (
        <g key={i}>
          <circle cx={c.cx} cy={c.cy} r={85} fill={COLORS[i]} fillOpacity={0.15} stroke={COLORS[i]} strokeWidth={2} />
          <text x={c.cx + (i === 0 ? -60 : i === 1 ? 60 : 0)} y={i === 2 ? 262 : 18} textAnchor="middle" fontSize={14} fontWeight={700} fill="#212529">
            {String.fromCharCode(65 + i)}
          </text>
        </g>
      ))}
      {data.regions.map((r) => {
        const [x, y] = SPOTS[n]![mask(r.in)]!;
        return (
          <text key={r.in.join('+')} x={x} y={y} textAnchor="middle" fontSize={14} fill="#212529">
            {formatNumber(r.count)}
          </text>
        );
      })}
    </svg>
  );
}
