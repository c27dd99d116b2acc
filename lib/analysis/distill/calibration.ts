// Confidence calibration by temperature scaling (Guo et al. 2017): one scalar T fitted on held-out
// logits by minimising the negative log-likelihood; probabilities become softmax(logits / T). It keeps
// the argmax (and so the accuracy) and only reshapes the confidences the threshold is applied to.

/** Mean NLL of the true labels under softmax(logits / T); rows whose label is -1 (unknown to the model) are skipped. */
export function negativeLogLikelihood(rows: readonly Float64Array[], labels: ArrayLike<number>, temperature: number): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    if (labels[i] < 0) continue;
    const r = rows[i];
    let max = -Infinity;
    for (let c = 0; c < r.length; c++) max = Math.max(max, r[c] / temperature);
    let sum = 0;
    for (let c = 0; c < r.length; c++) sum += Math.exp(r[c] / temperature - max);
    total += Math.log(sum) + max - r[labels[i]] / temperature;
    n++;
  }
  return n ? total / n : 0;
}

/** The temperature in [0.05, 20] minimising the NLL (golden-section search on log T). */
export function fitTemperature(rows: readonly Float64Array[], labels: ArrayLike<number>): number {
  if (rows.length === 0) return 1;
  let a = Math.log(0.05);
  let b = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  const f = (x: number) => negativeLogLikelihood(rows, labels, Math.exp(x));
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let k = 0; k < 80 && b - a > 1e-4; k++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/** Expected calibration error: mean |accuracy - confidence| over equal-width confidence bins, weighted by size. */
export function expectedCalibrationError(confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): number {
  const n = confidence.length;
  if (n === 0) return 0;
  const sumConf = new Float64Array(bins);
  const sumOk = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(confidence[i] * bins));
    sumConf[b] += confidence[i];
    sumOk[b] += correct[i] ? 1 : 0;
    count[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b] > 0) ece += (count[b] / n) * Math.abs(sumOk[b] / count[b] - sumConf[b] / count[b]);
  return ece;
}
