"use client";
// One outbox email as the recipient would see it: the HTML part in a sandboxed iframe, the plain-text
// part, the MIME source, and the raw .eml to download.
//
// The iframe gets the HTML through srcdoc with sandbox="" (no scripts, an opaque origin: the email cannot
// reach this page, its cookies or the API). A srcdoc document inherits this page's Content-Security-Policy
// (next.config.js): inline styles and <style> elements (style-src 'unsafe-inline') render, remote images
// (img-src 'self' data: blob:) do not load, so opening a message fetches nothing. The page passes the
// HTML through withLinksInNewWindow (lib/email/preview-html.ts) so a click on a link does not wreck the
// preview. The plain-text tab shows the URLs.
import { useEffect, useState } from "react";
import styles from "../dashboard/dashboard.module.css";

type Tab = "html" | "text" | "source";

/** html: the HTML part as it should be framed (see withLinksInNewWindow); raw: the whole .eml file. */
export function EmailMessageView(props: { html: string | null; text: string | null; raw: string; fileName: string }) {
  const tabs: Array<{ key: Tab; label: string }> = [];
  if (props.html !== null) tabs.push({ key: "html", label: "HTML" });
  if (props.text !== null) tabs.push({ key: "text", label: "Plain text" });
  tabs.push({ key: "source", label: "Source" });
  const [tab, setTab] = useState<Tab>(tabs[0].key);

  // A blob: URL made in the browser, so the raw file is not sent to the page a second time.
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([props.raw], { type: "message/rfc822" }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [props.raw]);

  return (
    <div className="stack">
      <div className="card-head">
        <div className="tabs" role="tablist" aria-label="Show the message as" style={{ marginBottom: 0 }}>
          {tabs.map((t) => (
            <button
              key={t.key}
              type="button"
              role="tab"
              id={`email-tab-${t.key}`}
              aria-controls={`email-panel-${t.key}`}
              className="tab"
              aria-selected={tab === t.key}
              onClick={() => setTab(t.key)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <a className="btn btn-secondary btn-small" href={href ?? undefined} download={props.fileName} aria-disabled={href === null} data-testid="eml-download">
          Download .eml
        </a>
      </div>
      {props.html !== null ? (
        <div role="tabpanel" id="email-panel-html" aria-labelledby="email-tab-html" hidden={tab !== "html"}>
          <iframe
            title="The email as the recipient sees it"
            className={styles.iframe}
            style={{ minHeight: 0, height: "70vh" }}
            sandbox=""
            srcDoc={props.html}
            data-testid="email-html"
          />
        </div>
      ) : null}
      {props.text !== null ? (
        <div role="tabpanel" id="email-panel-text" aria-labelledby="email-tab-text" hidden={tab !== "text"}>
          <pre className={styles.pre} style={{ maxHeight: "70vh", padding: "0.75rem" }} data-testid="email-text">
            {props.text}
          </pre>
        </div>
      ) : null}
      <div role="tabpanel" id="email-panel-source" aria-labelledby="email-tab-source" hidden={tab !== "source"}>
        <pre className={styles.pre} style={{ maxHeight: "70vh", padding: "0.75rem" }} data-testid="eml">
          {props.raw}
        </pre>
      </div>
    </div>
  );
}
