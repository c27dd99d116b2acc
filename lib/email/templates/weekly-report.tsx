// The weekly report email: a React component rendered to static HTML with inline styles (mail clients
// ignore <style> blocks and many block SVG), plus a plain-text twin. The daily spend chart is a row of
// table cells whose heights are the bars, which renders in Outlook, Gmail and Apple Mail alike.
import { renderToStaticMarkup } from "react-dom/server";
import type { WeeklyReport } from "../../reports/weekly";

const usd = (n: number) => (Math.abs(n) >= 100 ? `$${n.toFixed(0)}` : `$${n.toFixed(2)}`);
const pct = (n: number | null) => (n === null ? "n/a" : `${n >= 0 ? "+" : ""}${(n * 100).toFixed(1)}%`);
const ms = (n: number | null) => (n === null ? "n/a" : `${Math.round(n)} ms`);

const cell = { padding: "6px 8px", borderBottom: "1px solid #e5e7eb", fontSize: "14px" } as const;
const h2 = { fontSize: "16px", margin: "24px 0 8px", color: "#111827" } as const;

function Bars({ daily }: { daily: WeeklyReport["daily"] }) {
  const max = Math.max(...daily.map((d) => d.costUsd), 0.000001);
  return (
    <table role="presentation" cellPadding={0} cellSpacing={0} style={{ borderCollapse: "collapse" }}>
      <tbody>
        <tr style={{ verticalAlign: "bottom" }}>
          {daily.map((d) => (
            <td key={d.day} style={{ padding: "0 3px", verticalAlign: "bottom" }} title={`${d.day}: ${usd(d.costUsd)}`}>
              <div style={{ width: "28px", height: `${Math.max(2, Math.round((d.costUsd / max) * 60))}px`, background: "#4f46e5", borderRadius: "2px" }} />
            </td>
          ))}
        </tr>
        <tr>
          {daily.map((d) => (
            <td key={d.day} style={{ fontSize: "10px", color: "#6b7280", textAlign: "center", padding: "2px 0" }}>
              {d.day.slice(5)}
            </td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}

function Breakdown({ title, rows }: { title: string; rows: Array<{ key: string; costUsd: number }> }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h2 style={h2}>{title}</h2>
      <table role="presentation" cellPadding={0} cellSpacing={0} style={{ borderCollapse: "collapse", width: "100%" }}>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td style={cell}>{r.key}</td>
              <td style={{ ...cell, textAlign: "right" }}>{usd(r.costUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function WeeklyReportEmail({ report, links }: { report: WeeklyReport; links: { app: string; unsubscribe: string } }) {
  const t = report.totals;
  return (
    <html>
      <body style={{ margin: 0, padding: 0, background: "#f3f4f6", fontFamily: "-apple-system, Segoe UI, Helvetica, Arial, sans-serif" }}>
        <table role="presentation" width="100%" cellPadding={0} cellSpacing={0}>
          <tbody>
            <tr>
              <td align="center" style={{ padding: "24px 12px" }}>
                <table role="presentation" width={600} cellPadding={0} cellSpacing={0} style={{ background: "#ffffff", borderRadius: "8px", padding: "24px", textAlign: "left" }}>
                  <tbody>
                    <tr>
                      <td style={{ padding: "24px" }}>
                        <div style={{ fontSize: "12px", color: "#6b7280" }}>Spendlens weekly report · {report.week.label}</div>
                        <h1 style={{ fontSize: "22px", margin: "4px 0 16px", color: "#111827" }}>{report.organization.name}</h1>
                        <div style={{ fontSize: "28px", fontWeight: 700, color: "#111827" }}>{usd(t.costUsd)}</div>
                        <div style={{ fontSize: "14px", color: "#374151" }}>
                          spent this week · last week {usd(t.previousCostUsd)} ({pct(t.change)}) · {t.requests.toLocaleString("en-US")} calls
                        </div>
                        <div style={{ margin: "16px 0" }}>
                          <Bars daily={report.daily} />
                        </div>
                        <table role="presentation" cellPadding={0} cellSpacing={0} style={{ borderCollapse: "collapse", width: "100%" }}>
                          <tbody>
                            <tr>
                              <td style={cell}>Error rate</td>
                              <td style={{ ...cell, textAlign: "right" }}>
                                {(t.errorRate * 100).toFixed(2)}% (last week {(t.previousErrorRate * 100).toFixed(2)}%)
                              </td>
                            </tr>
                            <tr>
                              <td style={cell}>Latency p95</td>
                              <td style={{ ...cell, textAlign: "right" }}>
                                {ms(t.latencyP95Ms)} (last week {ms(t.previousLatencyP95Ms)})
                              </td>
                            </tr>
                          </tbody>
                        </table>
                        {report.recommendations.length > 0 && (
                          <>
                            <h2 style={h2}>Top savings to act on</h2>
                            {report.recommendations.map((r) => (
                              <div key={r.id} style={{ padding: "8px 0", borderBottom: "1px solid #e5e7eb", fontSize: "14px" }}>
                                <strong>{usd(r.monthlyUsd)}/month</strong>
                                {r.lowUsd !== null && r.highUsd !== null ? ` (${usd(r.lowUsd)}–${usd(r.highUsd)})` : ""} · {r.title}
                                <div style={{ color: "#6b7280", fontSize: "12px" }}>
                                  {r.project} · {r.lever}
                                </div>
                              </div>
                            ))}
                          </>
                        )}
                        {report.realised.acceptedCount > 0 && (
                          <p style={{ fontSize: "14px" }}>
                            {report.realised.acceptedCount} accepted recommendation(s): {usd(report.realised.realisedMonthlyUsd)}/month realised so far, {usd(report.realised.expectedMonthlyUsd)}/month expected.
                          </p>
                        )}
                        <Breakdown title="By model" rows={report.byModel} />
                        <Breakdown title="By feature" rows={report.byFeature} />
                        {report.anomalies.length > 0 && (
                          <>
                            <h2 style={h2}>Unusual days</h2>
                            {report.anomalies.map((a) => (
                              <div key={a.day} style={{ fontSize: "14px" }}>
                                {a.day}: {usd(a.costUsd)} (typical day {usd(a.baselineUsd)})
                              </div>
                            ))}
                          </>
                        )}
                        {report.unpricedModels.length > 0 && (
                          <>
                            <h2 style={h2}>Unpriced models</h2>
                            <div style={{ fontSize: "14px" }}>
                              {report.unpricedModels.map((u) => `${u.model} (${u.requests} calls)`).join(", ")} — add a price override so their spend counts.
                            </div>
                          </>
                        )}
                        <p style={{ marginTop: "24px", fontSize: "14px" }}>
                          <a href={links.app} style={{ color: "#4f46e5" }}>
                            Open Spendlens
                          </a>
                        </p>
                        <p style={{ fontSize: "12px", color: "#6b7280" }}>
                          You get this because you opted in to weekly reports for {report.organization.name}.{" "}
                          <a href={links.unsubscribe} style={{ color: "#6b7280" }}>
                            Unsubscribe
                          </a>
                        </p>
                      </td>
                    </tr>
                  </tbody>
                </table>
              </td>
            </tr>
          </tbody>
        </table>
      </body>
    </html>
  );
}

export function renderWeeklyReportHtml(report: WeeklyReport, links: { app: string; unsubscribe: string }): string {
  return "<!DOCTYPE html>" + renderToStaticMarkup(<WeeklyReportEmail report={report} links={links} />);
}

export function renderWeeklyReportText(report: WeeklyReport, links: { app: string; unsubscribe: string }): string {
  const t = report.totals;
  const lines = [
    `Spendlens weekly report ${report.week.label} — ${report.organization.name}`,
    "",
    `Spent this week: ${usd(t.costUsd)} (last week ${usd(t.previousCostUsd)}, ${pct(t.change)}), ${t.requests} calls`,
    `Error rate: ${(t.errorRate * 100).toFixed(2)}% (last week ${(t.previousErrorRate * 100).toFixed(2)}%)`,
    `Latency p95: ${ms(t.latencyP95Ms)} (last week ${ms(t.previousLatencyP95Ms)})`,
    "",
    "Daily spend: " + report.daily.map((d) => `${d.day.slice(5)} ${usd(d.costUsd)}`).join(", "),
  ];
  if (report.recommendations.length) {
    lines.push("", "Top savings to act on:");
    for (const r of report.recommendations) lines.push(`- ${usd(r.monthlyUsd)}/month: ${r.title} (${r.project}, ${r.lever})`);
  }
  if (report.realised.acceptedCount) lines.push("", `${report.realised.acceptedCount} accepted recommendation(s): ${usd(report.realised.realisedMonthlyUsd)}/month realised so far, ${usd(report.realised.expectedMonthlyUsd)}/month expected.`);
  if (report.byModel.length) lines.push("", "By model:", ...report.byModel.map((r) => `- ${r.key}: ${usd(r.costUsd)}`));
  if (report.byFeature.length) lines.push("", "By feature:", ...report.byFeature.map((r) => `- ${r.key}: ${usd(r.costUsd)}`));
  if (report.anomalies.length) lines.push("", "Unusual days:", ...report.anomalies.map((a) => `- ${a.day}: ${usd(a.costUsd)} (typical ${usd(a.baselineUsd)})`));
  if (report.unpricedModels.length) lines.push("", "Unpriced models: " + report.unpricedModels.map((u) => `${u.model} (${u.requests})`).join(", "));
  lines.push("", `Open Spendlens: ${links.app}`, `Unsubscribe: ${links.unsubscribe}`);
  return lines.join("\n");
}
