import type { NewEvent } from './outbox.service';

/**
 * Facts: what happened, appended by the writer's transaction. The projector folds them, in
 * sequence order, into the maintained roll-ups and appends the ProgressChanged events they cause.
 * `FigureEntered` and `TreeChanged` are for the projector alone; the others are also what boards
 * are told (a review, a target, a programme's settings).
 */
export const FIGURE_ENTERED = 'FigureEntered';
export const TREE_CHANGED = 'TreeChanged';

/** Every type the projector folds. */
export const FOLDED_TYPES: readonly string[] = [FIGURE_ENTERED, 'SubmissionReviewed', 'TargetChanged', 'ProgrammeChanged', TREE_CHANGED];

/** Facts no subscriber receives. */
export const INTERNAL_TYPES: ReadonlySet<string> = new Set([FIGURE_ENTERED, TREE_CHANGED]);

/** A figure was entered or corrected (a new submission row). No programme or region: boards are told by the ProgressChanged it causes. */
export function figureEntered(submissionId: string, indicatorId: number, regionCode: string): NewEvent {
  return { type: FIGURE_ENTERED, payload: { submissionId, indicatorId, regionCode } };
}

/** The administrative tree changed (regions imported, the demo loaded): every roll-up is rebuilt. */
export function treeChanged(reason: string): NewEvent {
  return { type: TREE_CHANGED, payload: { reason } };
}
