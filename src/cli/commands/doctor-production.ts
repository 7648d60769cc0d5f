import { invalidArgument } from '../../core/errors';
import { checkProduction } from '../../production/checklist';
import { type ProductionReport } from '../../production/report';
import type { Command, CommandContext, CommandResult } from '../command';

/**
 * `doctor --production [--recovery-secret NAME] [--strict]`: the production checklist
 * (src/production/checklist.ts). Exit 1 when an item fails (with --strict, also when one warns),
 * so a deploy script can gate on it; --json prints the report, safe for a support bundle.
 */
const MARK = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' } as const;

export function formatProductionReport(r: ProductionReport): string {
  const lines = [`production checklist for ${r.dir}: ${r.verdict.toUpperCase()}`];
  for (const i of r.items) {
    lines.push(`${MARK[i.verdict]}  ${i.id}: ${i.title}`);
    for (const e of i.evidence) lines.push(`      ${e}`);
    if (i.fix) lines.push(`      fix: ${i.fix}`);
  }
  return lines.join('\n') + '\n';
}

async function runProduction(ctx: CommandContext): Promise<CommandResult> {
  const name = ctx.values['recovery-secret'];
  const report = await checkProduction({
    ...ctx.openOptions,
    onWarning: () => {},
    ...(typeof name === 'string' ? { recoverySecret: name } : {}),
  });
  const strict = ctx.values.strict === true;
  const ok = report.verdict === 'pass' || (report.verdict === 'warn' && !strict);
  return { ok, json: { ...report }, text: formatProductionReport(report) };
}

/** `doctor` as before, and with --production the checklist. */
export function withProductionChecklist(doctor: Command): Command {
  return {
    options: {
      ...doctor.options,
      production: { type: 'boolean' },
      'recovery-secret': { type: 'string' },
      strict: { type: 'boolean' },
    },
    positionals: doctor.positionals,
    run(ctx) {
      if (ctx.values.production === true) return runProduction(ctx);
      if (ctx.values['recovery-secret'] !== undefined || ctx.values.strict !== undefined) {
        throw invalidArgument('--recovery-secret and --strict belong to doctor --production');
      }
      return doctor.run(ctx);
    },
  };
}
