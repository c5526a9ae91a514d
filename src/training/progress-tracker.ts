import type { EpochSummary, StepProgress } from '../model/qformer/trainer';
import type { EpochProgress, TrainingPhase, TrainingProgress } from './training-run';

/**
 * Builds a run's progress from the trainer's step and epoch callbacks: current epoch and
 * step, the finished epochs, throughput and an estimate of the time left. The estimate
 * assumes every remaining epoch runs, so early stopping can end the run sooner.
 */
export class ProgressTracker {
  private readonly started = performance.now();
  private readonly progress: TrainingProgress = { phase: 'loading', epochs: [] };
  private epochStarted = performance.now();
  private epochStartedStep = 0;

  constructor(
    private readonly maxEpochs: number,
    private readonly maxSeconds: number | undefined,
  ) {
    this.progress.maxEpochs = maxEpochs;
  }

  setPhase(phase: TrainingPhase): void {
    this.progress.phase = phase;
  }

  onStep(step: StepProgress): void {
    // Speed is measured from the first step of each epoch, so validation time between
    // epochs does not count as training time.
    if (step.epoch !== this.progress.epoch) {
      this.epochStarted = performance.now();
      this.epochStartedStep = step.step;
    }
    this.progress.phase = 'training';
    this.progress.epoch = step.epoch;
    this.progress.step = step.step;
    this.progress.stepsPerEpoch = step.stepsPerEpoch;

    const seconds = (performance.now() - this.epochStarted) / 1000;
    if (step.step > this.epochStartedStep && seconds > 0) {
      this.progress.stepsPerSecond = (step.step - this.epochStartedStep) / seconds;
    }
    const stepsLeft =
      (this.maxEpochs - step.epoch) * step.stepsPerEpoch + (step.stepsPerEpoch - step.step);
    const stepsPerSecond = this.progress.stepsPerSecond;
    if (stepsPerSecond !== undefined && stepsPerSecond > 0) {
      this.progress.etaSeconds = this.capByTimeLimit(stepsLeft / stepsPerSecond);
    }
    this.progress.elapsedSeconds = this.elapsed();
  }

  onEpoch(summary: EpochSummary): void {
    const epoch: EpochProgress = {
      epoch: summary.epoch,
      loss: summary.loss,
      validationNdcg10: finiteOrNull(summary.validationNdcg10),
      validationHitRate10: finiteOrNull(summary.validationHitRate10),
      examplesPerSecond: summary.sequencesPerSecond,
      elapsedSeconds: summary.elapsedSeconds,
    };
    this.progress.epochs = [...(this.progress.epochs ?? []), epoch];
    this.progress.epoch = summary.epoch;
    this.progress.examplesPerSecond = summary.sequencesPerSecond;
    this.progress.etaSeconds = this.capByTimeLimit(summary.etaSeconds);
    this.progress.elapsedSeconds = this.elapsed();
  }

  /** Returns a copy of the progress, safe to serialise while training continues. */
  snapshot(): TrainingProgress {
    return { ...this.progress, elapsedSeconds: this.elapsed() };
  }

  private capByTimeLimit(seconds: number): number {
    if (this.maxSeconds === undefined) {
      return seconds;
    }
    return Math.min(seconds, Math.max(this.maxSeconds - this.elapsed(), 0));
  }

  private elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
