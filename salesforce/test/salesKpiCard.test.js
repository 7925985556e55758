// What a rep reads on the Sales KPIs card, the wire adapters answered by the test
// utilities @salesforce/sfdx-lwc-jest provides (emit data, emit errors).
import { createElement } from 'lwc';
import SalesKpiCard from 'c/salesKpiCard';
import { graphql } from 'lightning/uiGraphQLApi';
import { getRecord } from 'lightning/uiRecordApi';
import { getObjectInfo } from 'lightning/uiObjectInfoApi';

const VIEWER = '005000000000000000'; // what @salesforce/user/Id is in Jest
const OTHER_REP = '0058d0000000003AAA';

// Two months of a rep's records, as the UI API GraphQL endpoint answers them.
function kpiRecord(period, start, figures) {
    const node = {
        Id: `a00${period}`,
        Name: { value: `Kira Lee · ${period}` },
        Period__c: { value: period },
        Period_Start__c: { value: start, displayValue: start }
    };
    Object.entries(figures).forEach(([field, [value, displayValue]]) => {
        node[field] = { value, displayValue: displayValue === undefined ? null : displayValue };
    });
    return { node };
}

const NOVEMBER = kpiRecord('2026-11', '2026-11-01', {
    Period_Status__c: ['in progress'],
    As_Of__c: ['2026-11-20T02:15:00.000Z', 'Nov 20, 2026, 2:15 AM'],
    Total_Revenue__c: [48250, '$48,250'],
    Total_Revenue_Target__c: [50000, '$50,000'],
    Total_Revenue_Attainment__c: [96.5],
    Total_Revenue_Pace__c: [104.2],
    Closing_Ratio__c: [31.4],
    Closing_Ratio_Target__c: [30],
    Closing_Ratio_Attainment__c: [104.7],
    Churn_Rate__c: [2.5],
    Avg_Sales_Cycle_Days__c: [41.5],
    Clv_To_Cac__c: [3.2],
    Nps__c: [42]
});
const OCTOBER = kpiRecord('2026-10', '2026-10-01', {
    Period_Status__c: ['closed'],
    Total_Revenue__c: [39900, '$39,900'],
    Closing_Ratio__c: [31.4],
    Churn_Rate__c: [1.5],
    Avg_Sales_Cycle_Days__c: [45],
    Nps__c: [40]
});

function answer(edges) {
    return { uiapi: { query: { Sales_KPI__c: { edges } } } };
}

const OBJECT_INFO = {
    apiName: 'Sales_KPI__c',
    fields: {
        Total_Revenue__c: { apiName: 'Total_Revenue__c', label: 'Total revenue' },
        Closing_Ratio__c: { apiName: 'Closing_Ratio__c', label: 'Sales closing ratio' },
        Churn_Rate__c: { apiName: 'Churn_Rate__c', label: 'Churn rate' }
    }
};

const forOwner = (id) => (config) => !!config.variables && config.variables.ownerId === id;
const forAccount = (config) =>
    !!config.variables && config.variables.accountId === '001000000000001AAA';

const flush = () => Promise.resolve();

// The card on a page; its wires have their configuration once it is connected.
async function mount(props = {}) {
    const element = createElement('c-sales-kpi-card', { is: SalesKpiCard });
    Object.assign(element, props);
    document.body.appendChild(element);
    await flush();
    return element;
}
const text = (element, selector) =>
    Array.from(element.shadowRoot.querySelectorAll(selector)).map((e) => e.textContent.trim());
const kpi = (element, key) => element.shadowRoot.querySelector(`[data-kpi="${key}"]`);

afterEach(() => {
    while (document.body.firstChild) {
        document.body.removeChild(document.body.firstChild);
    }
    jest.clearAllMocks();
});

describe('on the Home page', () => {
    it('shows the viewer their own KPIs of this month and the month before', async () => {
        const element = await mount();
        getObjectInfo.emit(OBJECT_INFO);
        graphql.emit(answer([NOVEMBER, OCTOBER]), forOwner(VIEWER));
        await flush();

        expect(text(element, '.current-period')).toEqual(['Nov 2026']);
        expect(text(element, '.period-status')).toEqual(['(so far)']);
        expect(text(element, '.previous-period')).toEqual(['· before: Oct 2026']);
        expect(text(element, '.as-of')).toEqual(['as of Nov 20, 2026, 2:15 AM']);
        expect(text(element, '.pace-note')).toEqual([]);
        const revenue = kpi(element, 'total_revenue');
        expect(revenue.querySelector('.kpi-label').textContent).toBe('Total revenue');
        expect(revenue.querySelector('.kpi-value').textContent).toBe('$48,250');
        const parts = Array.from(revenue.querySelectorAll('.kpi-part')).map((p) => p.textContent);
        expect(parts).toEqual(['Target: $50,000', 'Attainment: 96.5%', 'Pace: 104.2%']);
        expect(revenue.querySelector('.kpi-previous').textContent).toBe('Oct 2026: $39,900');
        expect(revenue.querySelector('.trend').textContent).toBe('▲');
        expect(revenue.querySelector('.trend').className).toContain('trend_good');
    });

    it('words each unit as a rep reads it and says whether a move is good news', async () => {
        const element = await mount();
        getObjectInfo.emit(OBJECT_INFO);
        graphql.emit(answer([NOVEMBER, OCTOBER]), forOwner(VIEWER));
        await flush();

        const value = (key) => kpi(element, key).querySelector('.kpi-value').textContent;
        expect(value('closing_ratio')).toBe('31.4%');
        expect(value('avg_sales_cycle_days')).toBe('41.5 days');
        expect(value('clv_to_cac')).toBe('3.2:1');
        expect(value('nps')).toBe('42');
        expect(value('gross_margin')).toBe('—'); // no figure this month
        const trend = (key) => kpi(element, key).querySelector('.trend');
        expect(trend('churn_rate').textContent).toBe('▲'); // churn up: bad news
        expect(trend('churn_rate').className).toContain('trend_bad');
        expect(trend('avg_sales_cycle_days').className).toContain('trend_good'); // shorter
        expect(trend('closing_ratio').textContent).toBe('=');
        // A KPI without a target shows no target, attainment or pace.
        expect(kpi(element, 'nps').querySelectorAll('.kpi-part')).toHaveLength(0);
    });

    it('uses the labels of the org (object info) before the registry names', async () => {
        const element = await mount();
        getObjectInfo.emit({
            ...OBJECT_INFO,
            fields: { Total_Revenue__c: { apiName: 'Total_Revenue__c', label: 'Umsatz' } }
        });
        graphql.emit(answer([NOVEMBER]), forOwner(VIEWER));
        await flush();

        expect(kpi(element, 'total_revenue').querySelector('.kpi-label').textContent).toBe('Umsatz');
        expect(kpi(element, 'churn_rate').querySelector('.kpi-label').textContent).toBe('Churn rate');
        expect(text(element, '.previous-period')).toEqual([]);
    });

    it('says why there is no pace yet early in a month, and when figures were computed', async () => {
        const element = await mount();
        const early = kpiRecord('2026-12', '2026-12-01', {
            Period_Status__c: ['in progress'],
            Pace_Note__c: ['pace from day 8 of the month (today is day 6)'],
            As_Of__c: ['2026-12-06T02:15:00.000Z'],
            Total_Revenue__c: [5200, '$5,200'],
            Total_Revenue_Target__c: [50000, '$50,000'],
            Total_Revenue_Attainment__c: [10.4]
        });
        graphql.emit(answer([early, NOVEMBER]), forOwner(VIEWER));
        await flush();

        expect(text(element, '.pace-note')).toEqual([
            'No pace yet: pace from day 8 of the month (today is day 6)'
        ]);
        // In the viewer's time zone (Jest: America/Los_Angeles), the day before in UTC.
        expect(text(element, '.as-of')).toEqual(['as of Dec 5, 2026, 6:15 PM']);
        const parts = Array.from(kpi(element, 'total_revenue').querySelectorAll('.kpi-part'))
            .map((p) => p.getAttribute('data-part'));
        expect(parts).toEqual(['target', 'attainment']);
    });

    it('compares revenue so far with the same share of the month before', async () => {
        const element = await mount();
        const early = kpiRecord('2026-12', '2026-12-01', {
            Period_Status__c: ['in progress'],
            As_Of__c: ['2026-12-06T02:15:00.000Z'], // the 6th in UTC, the 5th west of it
            Total_Revenue__c: [10000, '$10,000'],
            Closing_Ratio__c: [20]
        });
        graphql.emit(answer([early, NOVEMBER]), forOwner(VIEWER));
        await flush();

        // 10,000 against 48,250 × 6/31 = 9,339 (× 5/31 = 7,782): up, though far below November
        const revenue = kpi(element, 'total_revenue').querySelector('.trend');
        expect(revenue.textContent).toBe('▲');
        expect(revenue.className).toContain('trend_good');
        // a ratio is already a to-date figure: compared as it is
        expect(kpi(element, 'closing_ratio').querySelector('.trend').textContent).toBe('▼');
    });

    it('formats money in the org currency when Salesforce gives no display value', async () => {
        const element = await mount();
        const bare = kpiRecord('2026-11', '2026-11-01', { Arpa__c: [1234.6] });
        graphql.emit(answer([bare]), forOwner(VIEWER));
        await flush();

        expect(kpi(element, 'arpa').querySelector('.kpi-value').textContent).toBe('$1,235');
    });

    it('says so when there are no KPIs for the viewer yet', async () => {
        const element = await mount();
        graphql.emit(answer([]), forOwner(VIEWER));
        await flush();

        expect(text(element, '.empty')).toEqual(['No KPIs for you yet.']);
        expect(element.shadowRoot.querySelector('.kpis')).toBeNull();
    });

    it('shows what went wrong when the query is refused', async () => {
        const element = await mount();
        graphql.emitErrors([{ message: 'No such column Nps__c on entity Sales_KPI__c' }]);
        await flush();

        expect(text(element, '.error')).toEqual([
            'The sales KPIs could not be loaded: No such column Nps__c on entity Sales_KPI__c'
        ]);
    });

    it('waits with a spinner until the data arrives', async () => {
        const element = await mount();
        await flush();
        expect(element.shadowRoot.querySelector('lightning-spinner')).not.toBeNull();
    });
});

describe('on a record page', () => {
    it('shows the KPIs of the user whose record it is', async () => {
        const element = await mount({ recordId: OTHER_REP, objectApiName: 'User' });
        graphql.emit(answer([NOVEMBER]), forOwner(OTHER_REP));
        await flush();

        // Only a query for that user's records gets the answer (forOwner).
        expect(text(element, '.current-period')).toEqual(['Nov 2026']);
    });

    it('shows the KPIs of the rep who owns an opportunity', async () => {
        const element = await mount({ recordId: '006000000000001AAA', objectApiName: 'Opportunity' });
        await flush();
        expect(getRecord.getLastConfig().recordId).toBe('006000000000001AAA');
        getRecord.emit({ apiName: 'Opportunity', fields: { OwnerId: { value: OTHER_REP } } });
        await flush();
        graphql.emit(answer([NOVEMBER]), forOwner(OTHER_REP));
        await flush();

        expect(kpi(element, 'total_revenue').querySelector('.kpi-value').textContent).toBe('$48,250');
    });

    it('says a rep has no KPIs yet on their record', async () => {
        const element = await mount({ recordId: OTHER_REP, objectApiName: 'User' });
        graphql.emit(answer([]), forOwner(OTHER_REP));
        await flush();

        expect(text(element, '.empty')).toEqual(['No KPIs for this rep yet.']);
    });

    it("shows an account's own figures on the account", async () => {
        const element = await mount({ recordId: '001000000000001AAA', objectApiName: 'Account' });
        getObjectInfo.emit({
            apiName: 'Account',
            fields: { KPI_Revenue_This_Year__c: { label: 'Revenue this year' } }
        });
        graphql.emit({
            uiapi: { query: { Account: { edges: [{ node: {
                Id: '001000000000001AAA',
                KPI_Revenue_This_Year__c: { value: 120000, displayValue: '$120,000' },
                KPI_Revenue_Last_12_Months__c: { value: 150500, displayValue: '$150,500' },
                KPI_Last_NPS_Score__c: { value: 9, displayValue: null },
                KPI_Customer_Since__c: { value: '2024-03-01', displayValue: null },
                KPI_Churned_On__c: { value: null, displayValue: null }
            } }] } } }
        }, forAccount);
        await flush();

        const figure = (key) => element.shadowRoot.querySelector(`[data-figure="${key}"] .figure-value`);
        expect(figure('revenue_this_year').textContent).toBe('$120,000');
        expect(figure('last_nps_score').textContent).toBe('9');
        expect(figure('customer_since').textContent).toBe('Mar 1, 2024');
        expect(figure('churned_on').textContent).toBe('—');
        expect(text(element, '.figure-label')[0]).toBe('Revenue this year');
        expect(text(element, '.figure-label')[1]).toBe('Revenue, last 12 months');
    });

    it('says an account has no figures yet', async () => {
        const element = await mount({ recordId: '001000000000001AAA', objectApiName: 'Account' });
        graphql.emit({ uiapi: { query: { Account: { edges: [] } } } }, forAccount);
        await flush();

        expect(text(element, '.empty')).toEqual(['No figures for this account yet.']);
    });
});
