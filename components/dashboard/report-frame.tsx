"use client";
// The weekly report email, rendered from the same React template as the email (renderWeeklyReportHtml)
// and shown in a sandboxed iframe via srcdoc: the app's headers forbid framing its own pages, and the
// sandbox keeps the email's markup from running scripts or touching this page. Rendered here, in a
// client component, because Next.js does not let server components or route handlers import
// react-dom/server.
import { useMemo } from "react";
import { renderWeeklyReportHtml } from "@/lib/email/templates/weekly-report";
import type { WeeklyReport } from "@/lib/reports/weekly";
import styles from "./dashboard.module.css";

export function ReportFrame({ report, links, title }: { report: WeeklyReport; links: { app: string; unsubscribe: string }; title: string }) {
  const html = useMemo(() => renderWeeklyReportHtml(report, links).replace("<head>", '<head><base target="_blank">'), [report, links]);
  return <iframe title={title} className={styles.iframe} srcDoc={html} sandbox="allow-popups allow-popups-to-escape-sandbox" data-testid="report-preview" />;
}
