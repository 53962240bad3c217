// Process-tree sampling from /proc (Linux): RSS of the worker and, separately, of everything it
// spawned (extraction children, pdftotext, tesseract), and the CPU time of the whole tree.
import fs from 'node:fs';
import os from 'node:os';

const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;

function readStat(pid) {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: split after the last ')'.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(rest[1]),
      cpuTicks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]), // utime stime cutime cstime
      rssBytes: Number(rest[21]) * PAGE,
    };
  } catch {
    return undefined;
  }
}

/** The worker and its descendants right now. */
export function sampleTree(rootPid) {
  const all = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s !== undefined) all.push(s);
  }
  const children = new Map();
  for (const s of all) {
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(s);
  }
  const root = all.find((s) => s.pid === rootPid);
  if (root === undefined) return undefined;
  let childRss = 0;
  let cpuTicks = root.cpuTicks;
  let count = 0;
  const stack = [...(children.get(rootPid) ?? [])];
  while (stack.length > 0) {
    const s = stack.pop();
    childRss += s.rssBytes;
    cpuTicks += s.cpuTicks;
    count += 1;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return { at: Date.now(), workerRss: root.rssBytes, childRss, children: count, cpuSeconds: cpuTicks / TICKS };
}

/** Whole-machine busy CPU seconds (all cores), for the machine's utilisation during a run. */
export function machineCpu() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line;
  return { busy: (user + nice + system + irq + softirq + steal) / TICKS, total: (user + nice + system + idle + iowait + irq + softirq + steal) / TICKS };
}

export const cores = os.availableParallelism();
