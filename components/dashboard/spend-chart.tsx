"use client";
// Spend over time, stacked by one breakdown (model, feature or user), from the overview's series.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { SeriesPoint } from "@/lib/dashboard/overview";
import styles from "./dashboard.module.css";
import { seriesColour, usd } from "./numbers";

function bucketLabel(iso: string, bucket: "hour" | "day", timeZone: string): string {
  const d = new Date(iso);
  const opts: Intl.DateTimeFormatOptions =
    bucket === "hour" ? { hour: "2-digit", minute: "2-digit", hour12: false, timeZone } : { month: "short", day: "numeric", timeZone };
  try {
    return new Intl.DateTimeFormat("en-GB", opts).format(d);
  } catch {
    return iso.slice(bucket === "hour" ? 11 : 5, bucket === "hour" ? 16 : 10);
  }
}

export function SpendChart(props: { keys: string[]; points: SeriesPoint[]; bucket: "hour" | "day"; timeZone: string; testId?: string }) {
  const data = props.points.map((p) => ({ label: bucketLabel(p.bucket, props.bucket, props.timeZone), ...p.values }));
  return (
    <div className={styles.chart} data-testid={props.testId}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e5ea" />
          <XAxis dataKey="label" tick={{ fontSize: 12, fill: "#5c6470" }} tickLine={false} axisLine={{ stroke: "#e2e5ea" }} minTickGap={16} />
          <YAxis tick={{ fontSize: 12, fill: "#5c6470" }} tickLine={false} axisLine={false} tickFormatter={(v: number) => usd(v)} width={72} />
          <Tooltip
            formatter={(value) => usd(Number(value))}
            cursor={{ fill: "rgba(15, 118, 110, 0.06)" }}
            contentStyle={{ borderRadius: 8, borderColor: "#e2e5ea", fontSize: 13 }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {props.keys.map((k, i) => (
            <Bar key={k} dataKey={k} stackId="spend" fill={seriesColour(k, i)} isAnimationActive={false} maxBarSize={48} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
