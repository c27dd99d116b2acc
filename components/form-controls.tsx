"use client";
// Form building blocks: a labelled input with its error under it, a form-level error, a button
// that shows progress.
import type { InputHTMLAttributes, ReactNode } from "react";

export function Field(
  props: { label: string; name: string; error?: string; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>,
) {
  const { label, name, error, hint, id, ...input } = props;
  const inputId = id ?? `field-${name}`;
  const errorId = `${inputId}-error`;
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        name={name}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        {...input}
      />
      {hint && !error ? <span className="muted small">{hint}</span> : null}
      {error ? (
        <span id={errorId} className="field-error" role="alert" data-field-error={name}>
          {error}
        </span>
      ) : null}
    </div>
  );
}

export function SelectField(props: {
  label: string;
  name: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  error?: string;
  disabled?: boolean;
}) {
  const id = `field-${props.name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} name={props.name} className="select" value={props.value} disabled={props.disabled} onChange={(e) => props.onChange(e.target.value)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {props.error ? (
        <span className="field-error" role="alert" data-field-error={props.name}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** The form-level message, for errors not tied to one field (and field errors with no input shown). */
export function FormError({ error, fields, shown = [] }: { error?: string | null; fields?: Record<string, string>; shown?: string[] }) {
  const extra = Object.entries(fields ?? {}).filter(([f]) => !shown.includes(f));
  const message = extra.length ? extra.map(([, m]) => m).join(" ") : error && !Object.keys(fields ?? {}).length ? error : null;
  if (!message) return null;
  return (
    <div className="form-error" role="alert">
      {message}
    </div>
  );
}

export function SubmitButton({ busy, children, className = "btn", disabled }: { busy: boolean; children: ReactNode; className?: string; disabled?: boolean }) {
  return (
    <button type="submit" className={className} disabled={busy || disabled} aria-busy={busy}>
      {busy ? "Working…" : children}
    </button>
  );
}
