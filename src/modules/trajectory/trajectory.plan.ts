import { Interpolation, type Milestone } from './trajectory.entity';

const daysBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;

export interface Plan {
  interpolation: Interpolation;
  startsOn?: string | null;
  milestones: Milestone[];
}

/**
 * What a plan expects by the end of `day`: from `from` (the starting value) on its start day, through
 * its milestones, to `want` on the deadline. STEP holds each value from its day; LINEAR draws a
 * straight line between neighbours (days counted as the time-proportional line counts them).
 */
export function expectedOn(plan: Plan, day: string, startsOn: string, deadline: string, from: number, want: number): number {
  const start = plan.startsOn ?? startsOn;
  const points = [...plan.milestones].sort((a, b) => a.on.localeCompare(b.on));
  if (!points.length || points.at(-1)!.on < deadline) points.push({ on: deadline, value: want });
  if (plan.interpolation === Interpolation.STEP) {
    const reached = points.filter((p) => p.on <= day);
    return reached.length ? reached.at(-1)!.value : from;
  }
  let prev = { on: start, value: from, x: 0 };
  for (const p of points) {
    const x = daysBetween(start, p.on) + 1;
    const at = daysBetween(start, day) + 1;
    if (p.on >= day) {
      if (x === prev.x) return p.value;
      return prev.value + ((p.value - prev.value) * Math.max(0, at - prev.x)) / (x - prev.x);
    }
    prev = { on: p.on, value: p.value, x };
  }
  return prev.value;
}
