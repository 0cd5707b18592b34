import type { EntityManager } from '@mikro-orm/postgresql';
import { Target } from '../target/target.entity';
import { Interpolation, Trajectory } from './trajectory.entity';

/**
 * The trajectories the report's sentences imply, on the city's targets, marked derived and set
 * when the year's plan was (2019-01-01):
 * - P3-01 "10月底前完成100%的中心建设任务": a line to 70 on October 31;
 * - P3-03 "11月底前完成新增机构床位11680张": a line to 11680 on November 30;
 * - P4-01 "8月底实现低保申请全市通办": done on August 31 (a step);
 * - P2-17 社工项目绩效评估, by the end of November: done on November 30 (a step).
 */
const DERIVED: { indicator: string; interpolation: Interpolation; milestones: { on: string; value: number }[]; note: string }[] = [
  { indicator: 'P3-01', interpolation: Interpolation.LINEAR, milestones: [{ on: '2019-10-31', value: 70 }], note: '10月底前完成100%的中心建设任务' },
  { indicator: 'P3-03', interpolation: Interpolation.LINEAR, milestones: [{ on: '2019-11-30', value: 11680 }], note: '11月底前完成新增机构床位11680张的任务数' },
  { indicator: 'P4-01', interpolation: Interpolation.STEP, milestones: [{ on: '2019-08-31', value: 1 }], note: '8月底实现低保申请“全市通办”' },
  { indicator: 'P2-17', interpolation: Interpolation.STEP, milestones: [{ on: '2019-11-30', value: 1 }], note: '11月底前完成社工项目绩效评估' },
];

export async function loadDemoTrajectories(em: EntityManager, cityCode: string): Promise<void> {
  for (const d of DERIVED) {
    const targets = await em.find(Target, { indicator: { code: d.indicator }, region: { code: cityCode } });
    for (const target of targets) {
      em.create(Trajectory, {
        target, version: 1, interpolation: d.interpolation, milestones: d.milestones, derived: true, note: d.note,
        setAt: new Date('2019-01-01T09:00:00+08:00'),
      });
    }
  }
  await em.flush();
}
