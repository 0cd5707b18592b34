/**
 * The one clock of the server. Pinned to a day (the demo reads as of 2019-06-30), it keeps the
 * time of day running so that timestamps still order; unpinned, it is the wall clock.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Today's date, `YYYY-MM-DD`, in the server's time zone. */
  today(): string;
  readonly timeZone: string;
}

/** Formatters are costly to make and safe to share: one of each per time zone. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
const wallFormats = new Map<string, Intl.DateTimeFormat>();

export function dateInZone(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  // en-CA formats as YYYY-MM-DD.
  if (!format) dayFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return format.format(instant);
}

/** The last offset read per zone, with the minute it holds for (offsets change on whole minutes). */
const offsets = new Map<string, { minute: number; offset: number }>();

/** How far the zone's wall clock is ahead of UTC at that instant, in ms (read once per zone and minute: a pinned clock asks at every `now()`). */
export function zoneOffsetMs(instant: Date, timeZone: string): number {
  const minute = Math.floor(instant.getTime() / 60_000);
  const known = offsets.get(timeZone);
  if (known?.minute === minute) return known.offset;
  const offset = readZoneOffsetMs(instant, timeZone);
  offsets.set(timeZone, { minute, offset });
  return offset;
}

function readZoneOffsetMs(instant: Date, timeZone: string): number {
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    wallFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The first instant of `day` in `timeZone`. */
export function startOfDay(day: string, timeZone: string): Date {
  const midnightUtc = Date.parse(`${day}T00:00:00Z`);
  // The offset at the zone's midnight: read at UTC midnight, then again where that lands (a change of offset that day).
  const first = midnightUtc - zoneOffsetMs(new Date(midnightUtc), timeZone);
  return new Date(midnightUtc - zoneOffsetMs(new Date(first), timeZone));
}

export function createClock(options: { pinnedDay?: string; timeZone: string }): Clock {
  const { pinnedDay, timeZone } = options;
  if (!pinnedDay) {
    return { now: () => new Date(), today: () => dateInZone(new Date(), timeZone), timeZone };
  }
  let last = 0;
  let creeping = false;
  const pinnedStart = startOfDay(pinnedDay, timeZone).getTime();
  /** The pinned day's last millisecond: the clock creeps no further. */
  const pinnedEnd = pinnedStart + 86_399_999;
  return {
    now() {
      // The pinned day at the current local time of day: instants move on, the date stays. When
      // the real day turns, the time of day would start again from midnight: the clock creeps on
      // from its latest instant instead (a millisecond a reading), so that it never goes back and
      // what happens after still sorts after what happened before, until the real time of day
      // has caught up.
      const wall = new Date();
      const local = wall.getTime() + zoneOffsetMs(wall, timeZone);
      const msOfDay = ((local % 86_400_000) + 86_400_000) % 86_400_000;
      const instant = pinnedStart + msOfDay;
      if (instant >= last) creeping = false;
      // The time of day went back by more than a clock's adjustment: the real day has turned.
      else if (last - instant > 60_000) creeping = true;
      last = instant >= last ? instant : creeping ? Math.min(last + 1, pinnedEnd) : last;
      return new Date(last);
    },
    today: () => pinnedDay,
    timeZone,
  };
}
