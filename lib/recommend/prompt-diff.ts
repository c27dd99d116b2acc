// Word-level diff of an original prompt and its compressed candidate, for the savings page's drill-down.
// Longest common subsequence over tokens (words and the whitespace between them), so every removed
// sentence shows as one struck-through run. Long prompts fall back to a line diff to stay bounded.
export type DiffPart = { kind: "same" | "removed" | "added"; text: string };

/** Above this many LCS cells (tokens x tokens), diff by lines instead of words. */
const MAX_CELLS = 4_000_000;

function tokenize(text: string, unit: "word" | "line"): string[] {
  return unit === "word" ? (text.match(/\s+|[^\s]+/g) ?? []) : (text.match(/[^\n]*\n|[^\n]+$/g) ?? []);
}

function lcsDiff(a: string[], b: string[]): DiffPart[] {
  // Trim the common head and tail first: prompts usually differ in the middle.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail);
  const B = b.slice(head, b.length - tail);
  const n = A.length;
  const m = B.length;
  // table[i][j] = LCS length of A[i:] and B[j:], in one flat typed array.
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = A[i] === B[j] ? table[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1]);
    }
  }
  const parts: DiffPart[] = [];
  const push = (kind: DiffPart["kind"], text: string) => {
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += text;
    else if (text) parts.push({ kind, text });
  };
  push("same", a.slice(0, head).join(""));
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (A[i] === B[j]) {
      push("same", A[i]);
      i++;
      j++;
    } else if (table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) {
      push("removed", A[i++]);
    } else {
      push("added", B[j++]);
    }
  }
  while (i < n) push("removed", A[i++]);
  while (j < m) push("added", B[j++]);
  push("same", a.slice(a.length - tail).join(""));
  return parts;
}

export function diffPrompts(original: string, candidate: string): { parts: DiffPart[]; unit: "word" | "line" } {
  const words = [tokenize(original, "word"), tokenize(candidate, "word")] as const;
  if (words[0].length * words[1].length <= MAX_CELLS) return { parts: lcsDiff(words[0], words[1]), unit: "word" };
  return { parts: lcsDiff(tokenize(original, "line"), tokenize(candidate, "line")), unit: "line" };
}
