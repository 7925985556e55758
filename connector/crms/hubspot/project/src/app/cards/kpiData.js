// What the Sales KPIs card asks HubSpot for and how it reads the answer: no React
// here, so that the tests (and crm-kpi's end-to-end test, through node) run it alone.
// Every name it uses (object, properties, period type, currency) comes from `settings`,
// the object `cardConfig.js` exports: `crm-kpi card hubspot` writes it from the
// portal's config.yaml and mapping.

export const UPDATED_PROPERTY = "hs_lastmodifieddate";

/** The calendar day `date` falls on in `timeZone` (the reporting time zone, where
 * crm-kpi's periods begin and end), as midnight UTC of that day. */
export function dayIn(date, timeZone = "UTC") {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, year: "numeric", month: "numeric", day: "numeric",
  }).formatToParts(date);
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return new Date(Date.UTC(part("year"), part("month") - 1, part("day")));
}

/** The period `day` falls in, named as crm-kpi names it: 2026-11, 2026-Q3 or 2026
 * (fiscal quarters and years are named after the calendar year they start in). */
export function periodOf(day, periodType, fiscalYearStartMonth = 1) {
  const year = day.getUTCFullYear();
  const month = day.getUTCMonth() + 1;
  if (periodType === "month") return `${year}-${String(month).padStart(2, "0")}`;
  const fiscalYear = month >= fiscalYearStartMonth ? year : year - 1;
  if (periodType === "year") return String(fiscalYear);
  const quarter = Math.floor(((month - fiscalYearStartMonth + 12) % 12) / 3) + 1;
  return `${fiscalYear}-Q${quarter}`;
}

/** The first day of the period that starts `back` periods before the one of `day`. */
export function shiftedStart(day, periodType, fiscalYearStartMonth = 1, back = 0) {
  const months = { month: 1, quarter: 3, year: 12 }[periodType];
  const month = day.getUTCMonth();
  const offset = periodType === "month" ? 0 : (month - (fiscalYearStartMonth - 1) + 12) % months;
  return new Date(Date.UTC(day.getUTCFullYear(), month - offset - back * months, 1));
}

/** (the period in progress, the one before), by name, on the calendar day `day`. */
export function periodsAround(day, periodType, fiscalYearStartMonth = 1) {
  const previous = shiftedStart(day, periodType, fiscalYearStartMonth, 1);
  return [periodOf(day, periodType, fiscalYearStartMonth),
    periodOf(previous, periodType, fiscalYearStartMonth)];
}

/** The share of the period in progress that has elapsed at the end of `day` (0..1). */
export function elapsedShare(day, periodType, fiscalYearStartMonth = 1) {
  const start = shiftedStart(day, periodType, fiscalYearStartMonth, 0);
  const end = shiftedStart(day, periodType, fiscalYearStartMonth, -1);
  const next = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
  return Math.min(1, Math.max(0, (next - start) / (end - start)));
}

/** Where the card is in time for these settings: today in the reporting time zone,
 * the periods in progress and before, and the share of the current one elapsed. */
export function calendar(now, settings) {
  const day = dayIn(now, settings.timeZone);
  const { periodType, fiscalYearStartMonth } = settings;
  const [current, previous] = periodsAround(day, periodType, fiscalYearStartMonth);
  return { day, current, previous, share: elapsedShare(day, periodType, fiscalYearStartMonth) };
}

/** `kpi_key` of an owner's record: period type|period|owner|owner id. */
export function ownerKey(periodType, period, ownerId) {
  return `${periodType}|${period}|owner|${ownerId}`;
}

/** Every property the card reads from a KPI record. */
export function kpiProperties(settings) {
  const parts = settings.kpis.flatMap((kpi) => Object.values(kpi.properties));
  return [...Object.values(settings.record), ...parts, UPDATED_PROPERTY].filter(
    (name, index, all) => name && all.indexOf(name) === index,
  );
}

/** The `useCrmSearch` request for an owner's records of this and the previous period:
 * an exact match on the unique key, so one search of two records, whatever the portal's
 * size. */
export function kpiSearchRequest({ portalId, settings, ownerId, now }) {
  const { current, previous } = calendar(now, settings);
  const keys = [current, previous].map((p) => ownerKey(settings.periodType, p, ownerId));
  return {
    objectType: `p${portalId}_${settings.kpiObject}`,
    properties: kpiProperties(settings),
    filterGroups: [{ filters: [{ propertyName: settings.record.key, operator: "IN", values: keys }] }],
    pageLength: 2,
  };
}

const number = (text) => (text === null || text === undefined || text === "" ? null : Number(text));

/** The records of the search by period name (a record's properties, or {}). */
export function byPeriod(records, settings) {
  return Object.fromEntries(records.map((r) => [r.properties[settings.record.period], r.properties]));
}

/** The card's rows: per KPI its figures this period and the one before, and the trend. */
export function kpiRows(records, settings, { current, previous, share }) {
  const found = byPeriod(records, settings);
  const now = found[current] || {};
  const before = found[previous] || {};
  return settings.kpis.map((kpi) => {
    const read = (props) => Object.fromEntries(
      Object.entries(kpi.properties).map(([part, name]) => [part, number(props[name])]),
    );
    const figures = { current: read(now), previous: read(before) };
    return { kpi, ...figures, trend: trendOf(kpi, figures, share) };
  });
}

/** "up" or "down" (better or worse by the KPI's direction), or null. A KPI that builds
 * up over its period (revenue) is compared like for like: with the previous period's
 * value pro-rated to the share of the period in progress that has elapsed. */
export function trendOf(kpi, { current, previous }, share) {
  if (current.value === null || previous.value === null) return null;
  const base = "pace" in kpi.properties ? previous.value * share : previous.value;
  if (current.value === base) return { direction: "flat", better: null };
  const up = current.value > base;
  return { direction: up ? "up" : "down", better: up === kpi.higherIsBetter };
}

/** A figure as people read it, in the viewer's locale and the reporting currency. */
export function formatFigure(value, unit, decimals, { locale, currency }) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const digits = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  if (unit === "money") {
    return new Intl.NumberFormat(locale, { style: "currency", currency, ...digits }).format(value);
  }
  if (unit === "ratio") {  // percentage properties hold 45 for 45 %
    return new Intl.NumberFormat(locale, { style: "percent", ...digits }).format(value / 100);
  }
  const text = new Intl.NumberFormat(locale, digits).format(value);
  return { days: `${text} d`, multiple: `${text}:1` }[unit] || text;
}

/** When the figures were computed (or, for records written before crm-kpi stamped
 * them, last updated), in the reporting time zone. */
export function asOf(records, settings, locale) {
  const stamp = settings.record.asOf;
  const stamps = records.map((r) => r.properties[stamp] || r.properties[UPDATED_PROPERTY]);
  const latest = stamps.filter(Boolean).map((s) => new Date(/^\d+$/.test(s) ? Number(s) : s))
    .filter((d) => !Number.isNaN(d.getTime())).sort((a, b) => b - a)[0];
  if (!latest) return null;
  const computed = records.some((r) => r.properties[stamp]);
  const when = new Intl.DateTimeFormat(locale, {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    timeZone: settings.timeZone, timeZoneName: "short",
  }).format(latest);
  return `${computed ? "Computed" : "Updated"} ${when}`;
}
