// How the card words a figure: in the viewer's locale, time zone and the org's currency
// (@salesforce/i18n), preferring Salesforce's own displayValue where it gives one.
import LOCALE from '@salesforce/i18n/locale';
import CURRENCY from '@salesforce/i18n/currency';
import TIME_ZONE from '@salesforce/i18n/timeZone';

const EMPTY = '—';
const PERCENT_PARTS = new Set(['attainment', 'pace']);

function number(value, options) {
    return new Intl.NumberFormat(LOCALE, options).format(value);
}

// A field's answer ({ value, displayValue }) in words. `unit` is the KPI's unit (money,
// ratio, days, score, multiple) or an account figure's (date too); `part` says whether
// it is an attainment or a pace, which are percentages whatever the KPI's unit.
export function formatFigure(field, unit, decimals, part = 'value') {
    const value = field ? field.value : null;
    if (value === null || value === undefined || value === '') {
        return EMPTY;
    }
    if (PERCENT_PARTS.has(part) || unit === 'ratio') {
        // Percent fields hold 45.5 for 45.5 %.
        const digits = PERCENT_PARTS.has(part) ? 1 : decimals;
        return number(Number(value) / 100, { style: 'percent', maximumFractionDigits: digits });
    }
    if (unit === 'money') {
        return field.displayValue || number(Number(value), {
            style: 'currency', currency: CURRENCY, maximumFractionDigits: decimals
        });
    }
    if (unit === 'days') {
        return number(Number(value), {
            style: 'unit', unit: 'day', unitDisplay: 'long', maximumFractionDigits: decimals
        });
    }
    if (unit === 'multiple') {
        return `${number(Number(value), { maximumFractionDigits: decimals })}:1`;
    }
    if (unit === 'date') {
        return formatDate(value);
    }
    return number(Number(value), { maximumFractionDigits: decimals });
}

function parseDay(text) {
    // A date field's value is YYYY-MM-DD: read it as that calendar day, wherever the viewer is.
    return new Date(`${String(text).slice(0, 10)}T00:00:00Z`);
}

export function formatDate(text) {
    if (!text) {
        return EMPTY;
    }
    const withTime = String(text).length > 10;
    const options = withTime
        ? { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE }
        : { dateStyle: 'medium', timeZone: 'UTC' };
    return new Intl.DateTimeFormat(LOCALE, options).format(withTime ? new Date(text) : parseDay(text));
}

// "Nov 2026", "Q3 2026", "2026": a period as people name it.
export function periodWords(periodType, period, periodStart) {
    if (periodType === 'month' && periodStart) {
        return new Intl.DateTimeFormat(LOCALE, {
            month: 'short', year: 'numeric', timeZone: 'UTC'
        }).format(parseDay(periodStart));
    }
    if (periodType === 'quarter' && period) {
        const [year, quarter] = String(period).split('-');
        return `${quarter} ${year}`;
    }
    return period || EMPTY;
}

// The trend from the period before to this one, and whether it is good news (a
// lower-is-better KPI, like churn, improves when it falls).
export function trendOf(current, previous, better) {
    if (current === null || current === undefined || previous === null || previous === undefined) {
        return { symbol: '', tone: 'none', words: 'no comparison' };
    }
    const change = Number(current) - Number(previous);
    if (change === 0) {
        return { symbol: '=', tone: 'flat', words: 'unchanged' };
    }
    const up = change > 0;
    const good = better === 'lower' ? !up : up;
    return { symbol: up ? '▲' : '▼', tone: good ? 'good' : 'bad', words: up ? 'up' : 'down' };
}

// The share of a period in progress gone by at the end of the day its figures were
// computed (the viewer's calendar day of `asOf`), 0..1. A KPI that builds up over its
// period (revenue) is compared with the period before pro-rated to it: like for like,
// as the HubSpot card does, not a month's first days against a whole month.
export function elapsedShare(periodType, periodStart, asOf) {
    const months = { month: 1, quarter: 3, year: 12 }[periodType];
    const start = periodStart ? parseDay(periodStart) : null;
    const at = asOf ? new Date(asOf) : null;
    if (!months || !start || !at || Number.isNaN(at.getTime())) {
        return 1;
    }
    const end = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, 1);
    const dayEnd = Date.UTC(at.getFullYear(), at.getMonth(), at.getDate() + 1);
    return Math.min(1, Math.max(0, (dayEnd - start.getTime()) / (end - start.getTime())));
}
