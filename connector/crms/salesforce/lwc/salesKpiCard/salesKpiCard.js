// The Sales KPIs card: on Home the viewer's own KPIs, on a User or Opportunity record
// the KPIs of the rep who owns it, on an Account the account's own figures. The current
// period and the one before, each KPI with its value, target, attainment, pace and trend,
// "as of" the crm-kpi run that computed them. Data through the GraphQL wire adapter
// (what sharing and field-level security let the viewer read); labels from object info.
import { LightningElement, api, wire } from 'lwc';
import { graphql } from 'lightning/uiGraphQLApi';
import { getRecord, getFieldValue } from 'lightning/uiRecordApi';
import { getObjectInfo } from 'lightning/uiObjectInfoApi';
import USER_ID from '@salesforce/user/Id';
import OPPORTUNITY_OWNER from '@salesforce/schema/Opportunity.OwnerId';
import {
    ACCOUNT_QUERY, FIGURES, KPI_OBJECT, KPIS, OWNER_QUERY, PERIOD_TYPE, RECORD
} from './kpiCatalog';
import { elapsedShare, formatDate, formatFigure, periodWords, trendOf } from './format';

const PARTS = ['target', 'attainment', 'pace'];
const PART_WORDS = { target: 'Target', attainment: 'Attainment', pace: 'Pace' };

function nodes(data, objectName) {
    const found = data && data.uiapi && data.uiapi.query && data.uiapi.query[objectName];
    return found && found.edges ? found.edges.map((edge) => edge.node) : [];
}

function messageOf(errors) {
    const list = Array.isArray(errors) ? errors : [errors];
    return list.map((e) => (e && (e.message || (e.body && e.body.message))) || String(e)).join('; ');
}

export default class SalesKpiCard extends LightningElement {
    @api recordId;
    @api objectApiName;

    rows;
    account;
    loadError;
    opportunityOwner;
    objectInfo;

    get isAccount() {
        return this.objectApiName === 'Account';
    }

    // Whose KPIs: the record's owner on a record page, the viewer elsewhere (Home).
    get ownerId() {
        if (this.objectApiName === 'User') {
            return this.recordId;
        }
        if (this.objectApiName === 'Opportunity') {
            return this.opportunityOwner;
        }
        return this.isAccount ? undefined : USER_ID;
    }

    get opportunityId() {
        return this.objectApiName === 'Opportunity' ? this.recordId : undefined;
    }

    get ownerVariables() {
        return this.ownerId ? { ownerId: this.ownerId } : undefined;
    }

    get accountVariables() {
        return this.isAccount && this.recordId ? { accountId: this.recordId } : undefined;
    }

    get infoObject() {
        return this.isAccount ? 'Account' : KPI_OBJECT;
    }

    @wire(getRecord, { recordId: '$opportunityId', fields: [OPPORTUNITY_OWNER] })
    wiredOpportunity({ data, error }) {
        if (data) {
            this.opportunityOwner = getFieldValue(data, OPPORTUNITY_OWNER);
        } else if (error) {
            this.loadError = messageOf(error);
        }
    }

    @wire(getObjectInfo, { objectApiName: '$infoObject' })
    wiredInfo({ data }) {
        this.objectInfo = data;
    }

    @wire(graphql, { query: OWNER_QUERY, variables: '$ownerVariables' })
    wiredOwner(result) {
        this.answer(result, (data) => {
            this.rows = nodes(data, KPI_OBJECT);
        });
    }

    @wire(graphql, { query: ACCOUNT_QUERY, variables: '$accountVariables' })
    wiredAccount(result) {
        this.answer(result, (data) => {
            this.account = nodes(data, 'Account')[0] || null;
        });
    }

    // A GraphQL answer: its errors shown, else its data kept by `keep`.
    answer({ data, errors }, keep) {
        if (errors) {
            this.loadError = messageOf(errors);
        } else if (data) {
            this.loadError = undefined;
            keep(data);
        }
    }

    label(apiName, fallback) {
        const fields = this.objectInfo && this.objectInfo.fields;
        return (fields && fields[apiName] && fields[apiName].label) || fallback;
    }

    get loading() {
        return !this.loadError && (this.isAccount ? this.account === undefined : this.rows === undefined);
    }

    get current() {
        return this.rows && this.rows.length ? this.rows[0] : undefined;
    }

    get previous() {
        return this.rows && this.rows.length > 1 ? this.rows[1] : undefined;
    }

    get empty() {
        if (this.loading || this.loadError) {
            return false;
        }
        return this.isAccount ? !this.figures.some((f) => f.filled) : !this.current;
    }

    get emptyMessage() {
        if (this.isAccount) {
            return 'No figures for this account yet.';
        }
        return this.objectApiName ? 'No KPIs for this rep yet.' : 'No KPIs for you yet.';
    }

    get showKpis() {
        return !this.isAccount && !!this.current;
    }

    get showFigures() {
        return this.isAccount && !this.empty && !this.loading && !this.loadError;
    }

    periodOf(node) {
        if (!node) {
            return '';
        }
        const value = (name) => (name && node[name] ? node[name].value : undefined);
        return periodWords(PERIOD_TYPE, value(RECORD.period), value(RECORD.periodStart));
    }

    get currentPeriod() {
        return this.periodOf(this.current);
    }

    get previousPeriod() {
        return this.periodOf(this.previous);
    }

    recordText(key) {
        const field = this.current && RECORD[key] ? this.current[RECORD[key]] : undefined;
        return field && field.value ? field : undefined;
    }

    // "so far" while the period runs: its figures are to date.
    get periodStatus() {
        const status = this.recordText('periodStatus');
        return status && status.value === 'in progress' ? 'so far' : '';
    }

    // When crm-kpi computed these figures: an old time means the latest runs failed.
    get asOf() {
        const field = this.recordText('asOf');
        return field ? `as of ${field.displayValue || formatDate(field.value)}` : '';
    }

    // Why the period in progress shows no pace yet (too early, too few deals).
    get paceNote() {
        const field = this.recordText('paceNote');
        return field ? `No pace yet: ${field.value}` : '';
    }

    // How much of the period in progress had gone by when its figures were computed.
    get shareGone() {
        const start = this.current && this.current[RECORD.periodStart];
        const asOf = this.recordText('asOf');
        return elapsedShare(PERIOD_TYPE, start && start.value, asOf && asOf.value);
    }

    get kpis() {
        const now = this.current;
        const before = this.previous || {};
        const share = this.periodStatus ? this.shareGone : 1;
        return KPIS.map((kpi) => {
            const figure = (node, part) => formatFigure(node[kpi[part]], kpi.unit, kpi.decimals, part);
            const value = (node) => (node[kpi.value] ? node[kpi.value].value : undefined);
            // A KPI with a pace builds up over its period: the one before, pro-rated.
            const earlier = value(before);
            const base = kpi.pace && earlier !== undefined && earlier !== null ? Number(earlier) * share : earlier;
            const trend = trendOf(value(now), base, kpi.better);
            return {
                key: kpi.key,
                label: this.label(kpi.value, kpi.label),
                value: figure(now, 'value'),
                previous: figure(before, 'value'),
                parts: PARTS.filter((part) => kpi[part] && now[kpi[part]] && now[kpi[part]].value !== null)
                    .map((part) => ({ key: part, label: PART_WORDS[part], text: figure(now, part) })),
                trendSymbol: trend.symbol,
                trendWords: trend.words,
                trendClass: `trend trend_${trend.tone}`
            };
        });
    }

    get figures() {
        const node = this.account || {};
        return FIGURES.map((figure) => ({
            key: figure.key,
            label: this.label(figure.field, figure.label),
            text: formatFigure(node[figure.field], figure.unit, figure.decimals),
            filled: !!(node[figure.field] && node[figure.field].value !== null)
        }));
    }
}
