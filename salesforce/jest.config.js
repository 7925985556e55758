// Jest for the Salesforce front end: the LWC sources ship in the Python package
// (connector/crms/salesforce/lwc, named by sfdx-project.json), their tests live here.
const { jestConfig } = require('@salesforce/sfdx-lwc-jest/config');

module.exports = {
    ...jestConfig,
    roots: ['<rootDir>/test'],
    testMatch: ['**/*.test.js'],
    collectCoverageFrom: []
};
