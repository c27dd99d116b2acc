// An email's HTML prepared for the outbox preview (a sandbox="" srcdoc iframe, see
// components/outbox/email-message-view.tsx). Pure string work: safe to run anywhere.

/**
 * The HTML with <base target="_blank"> in its head, inserted without changing the document's mode (never
 * before the doctype). In the sandboxed frame (no allow-popups) a click on a link then opens nothing;
 * without it the link would load inside the frame, where this app's pages refuse to be framed
 * (frame-ancestors 'none') and the preview would turn into a browser error page.
 */
export function withLinksInNewWindow(html: string): string {
  const base = '<base target="_blank">';
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + base + html.slice(head.index + head[0].length);
  const root = /<html(?:\s[^>]*)?>/i.exec(html) ?? /^\s*<!doctype[^>]*>/i.exec(html);
  if (root) return html.slice(0, root.index + root[0].length) + `<head>${base}</head>` + html.slice(root.index + root[0].length);
  return base + html;
}
