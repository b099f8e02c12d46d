/** Layer rules from DESIGN.md §2 and STYLE.md §10: the domain and the policy are pure. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'libs/domain and libs/authz hold pure rules: no I/O, no frameworks, no adapters. ' +
        'The one library allowed is immutable (pure persistent collections for decider states).',
      severity: 'error',
      // Test support under testing/ is not built (package.json) and may use test factories of other libs.
      from: { path: '^libs/(domain|authz)/', pathNot: '/testing/' },
      to: {
        pathNot: ['^libs/(domain|authz)/', '^node_modules/immutable/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(apps|projections)/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^(apps|libs|projections)/' },
      to: { path: '^test/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
