import { doctorReport, formatDoctorReport } from '../../doctor/report';
import { type Command, withStore, lines } from '../command';

/** `info` (and `doctor`): the store, the environment and every tier's facts (src/doctor/report.ts). */
export const info: Command = {
  options: {},
  positionals: 0,
  run: (ctx) =>
    withStore(ctx, async (ks) => {
      const report = await doctorReport(await ks.describe(), await ks.tpmDiagnostics());
      return { ok: true, json: report, text: lines(...formatDoctorReport(report)) };
    }),
};
