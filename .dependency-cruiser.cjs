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
      to: { path: '^apps/' },
    },
    {
      name: 'libs-do-not-import-projections',
      comment:
        'Read models sit above the libraries. libs/runtime is the one exception: it is the wiring the ' +
        'apps share, and the projector it starts runs every projection (projections/index.ts).',
      severity: 'error',
      from: { path: '^libs/', pathNot: '^libs/runtime/' },
      to: { path: '^projections/' },
    },
    {
      name: 'apps-are-leaves',
      comment:
        'DESIGN.md §2: no app imports another app; what two apps share lives in libs/ (process wiring in libs/runtime).',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'application-is-framework-free',
      comment:
        'libs/application holds the command handlers and the audit replay as plain code: the apps adapt it ' +
        'to Nest (apps/api) or to the command line (apps/cli), never the other way round.',
      severity: 'error',
      from: { path: '^libs/application/' },
      to: { path: ['^apps/', '^node_modules/(@nestjs/|nestjs-)'] },
    },
    {
      name: 'projection-runtime-is-generic',
      comment: 'DESIGN.md §2: the projection runtime knows neither the domain nor the policy.',
      severity: 'error',
      from: { path: '^libs/projection-runtime/' },
      to: { path: '^libs/(authz|domain)/' },
    },
    {
      name: 'projections-meet-through-their-index',
      comment:
        'STYLE.md §5: one folder per read model. Another read model reaches it only through its index.ts, ' +
        'which says what it offers; its tables and projector stay its own.',
      severity: 'error',
      from: { path: '^projections/([^/]+)/' },
      to: { path: '^projections/[^/]+/', pathNot: ['^projections/$1/', '^projections/[^/]+/index\\.ts$'] },
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
