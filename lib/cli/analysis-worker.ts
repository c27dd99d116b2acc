// Body of an analysis worker thread: reads the same input files itself (cheaper than copying 50k calls
// with their bodies across threads), runs the analyses it was given and posts their outcomes back.
// Pure analyses on the same calls give the same outcomes as in the main thread.
import { parentPort, workerData } from "node:worker_threads";
import type { AnalysisName } from "../report/types";
import { loadCallsFromFiles } from "./load-calls";
import { analysisWindow, runAnalyses, type AnalysisOutcome } from "./run-analyses";

export type WorkerInput = { files: string[]; analyses: AnalysisName[]; seed: number; agreementTarget?: number; cacheTolerance?: number };
export type WorkerMessage =
  | { type: "progress"; name: AnalysisName; fraction: number; message?: string }
  | { type: "finished"; outcome: AnalysisOutcome }
  | { type: "failed"; message: string };

const port = parentPort;
if (port) {
  const input = workerData as WorkerInput;
  const post = (m: WorkerMessage) => port.postMessage(m);
  (async () => {
    const { calls } = await loadCallsFromFiles(input.files);
    const window = analysisWindow(calls);
    if (!window) throw new Error("no valid event to analyse");
    await runAnalyses(
      calls,
      { window, seed: input.seed, agreementTarget: input.agreementTarget, cacheTolerance: input.cacheTolerance, only: input.analyses },
      {
        onProgress: (name, fraction, message) => post({ type: "progress", name, fraction, message }),
        onFinished: (outcome) => post({ type: "finished", outcome }),
      },
    );
  })().catch((err: Error) => post({ type: "failed", message: err.message }));
}
