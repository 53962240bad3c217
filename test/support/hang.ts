import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Real inputs that make extraction hang, without mocks or test-only switches in the product.
 */

/**
 * A FIFO: opening it for reading blocks until a writer comes, which never happens. Given to the
 * text extractor as text/plain, the extraction child blocks forever inside `readFile`.
 */
export function makeFifo(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

/**
 * A valid 1-page PDF whose page draws a form XObject that draws the next one `fan` times, `depth`
 * levels deep (a "billion laughs" of forms): pdfinfo answers at once, but pdftotext interprets
 * fan^depth leaf operations. Measured: depth 6 takes ~1 s, each level ×7-10, so the default
 * (10^12) runs for days; it is also only ~2 KB, so it downloads instantly and fits every cap.
 */
export function writeEndlessPdf(file: string, depth = 12, fan = 10): string {
  const first = 5;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X0 ${first} 0 R >> >> >>`,
    stream('', '/X0 Do\n'),
  ];
  for (let level = 0; level < depth; level += 1) {
    const leaf = level === depth - 1;
    const resources = leaf ? '<< >>' : `<< /XObject << /X ${first + level + 1} 0 R >> >>`;
    const body = leaf ? '0 0 1 1 re f\n' : '/X Do\n'.repeat(fan);
    objects.push(stream(`/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources ${resources} `, body));
  }
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pdf, 'latin1');
  return file;
}

function stream(dict: string, body: string): string {
  return `<< ${dict}/Length ${body.length} >>\nstream\n${body}endstream`;
}

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly state: string;
  readonly comm: string;
}

/** Every process on the machine, from /proc (Linux). */
export function processes(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const [state = '', ppid = '0', pgid = '0'] = stat.slice(close + 2).split(' ');
    out.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), state, comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return out;
}

/**
 * Members of a process group that are still running. A killed process whose parent died too is
 * reparented to PID 1 and stays a zombie (state Z) until PID 1 reaps it, which some sandboxes'
 * PID 1 does late (seconds to minutes), so `process.kill(-pgid, 0)` can keep succeeding for a
 * group of the dead. Zombies
 * run nothing and hold no memory: they count as gone.
 */
export function liveGroupMembers(pgid: number): ProcessEntry[] {
  return processes().filter((p) => p.pgid === pgid && p.state !== 'Z');
}

/** True when `process.kill(pid, 0)` says the process does not exist (it was killed and reaped). */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
