"use client";
// The savings waterfall: current monthly spend, each lever's saving on what the earlier ones left
// (combineFindings), and the projected spend. Floating bars = an invisible base + the visible step.
import { Bar, BarChart, CartesianGrid, Cell, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Projection } from "@/lib/recommend/combine";
import styles from "./dashboard.module.css";
import { LEVER_LABELS, usd } from "./numbers";

type Row = { name: string; base: number; value: number; label: string; kind: "total" | "step" | "projected"; detail: string };

export function waterfallRows(p: Projection): Row[] {
  const rows: Row[] = [{ name: "Now", base: 0, value: p.currentMonthlyUsd, label: usd(p.currentMonthlyUsd), kind: "total", detail: "current monthly spend" }];
  for (const s of p.steps) {
    rows.push({
      name: LEVER_LABELS[s.lever] ?? s.lever,
      base: s.remainingUsd,
      value: s.savedUsd,
      label: `−${usd(s.savedUsd)}`,
      kind: "step",
      detail: `saves ${usd(s.savedUsd)} (${usd(s.savedLowUsd)} – ${usd(s.savedHighUsd)}); ${usd(s.standaloneUsd)} on its own; ${s.findings} finding${s.findings === 1 ? "" : "s"}`,
    });
  }
  rows.push({ name: "Projected", base: 0, value: p.projectedMonthlyUsd, label: usd(p.projectedMonthlyUsd), kind: "projected", detail: "monthly spend with every open recommendation applied" });
  return rows;
}

const COLOURS = { total: "#5c6470", step: "#0f766e", projected: "#2563eb" };

export function WaterfallChart({ projection }: { projection: Projection }) {
  const rows = waterfallRows(projection);
  return (
    <div className={styles.chartSmall} data-testid="waterfall">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 20, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e5ea" />
          <XAxis dataKey="name" tick={{ fontSize: 12, fill: "#5c6470" }} tickLine={false} axisLine={{ stroke: "#e2e5ea" }} interval={0} />
          <YAxis tick={{ fontSize: 12, fill: "#5c6470" }} tickLine={false} axisLine={false} tickFormatter={(v: number) => usd(v)} width={72} />
          <Tooltip
            cursor={{ fill: "rgba(15, 118, 110, 0.06)" }}
            contentStyle={{ borderRadius: 8, borderColor: "#e2e5ea", fontSize: 13 }}
            formatter={(value, name, item) => (name === "base" ? [null, null] : [usd(Number(value)), (item.payload as Row).detail])}
          />
          <Bar dataKey="base" stackId="w" fill="transparent" isAnimationActive={false} />
          <Bar dataKey="value" stackId="w" isAnimationActive={false} maxBarSize={64}>
            {rows.map((r, i) => (
              <Cell key={i} fill={COLOURS[r.kind]} />
            ))}
            <LabelList dataKey="label" position="top" style={{ fontSize: 12, fill: "#1b1f24" }} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
