import { readFileSync, readlinkSync } from 'node:fs';

/** Whether a process with this PID runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What makes a PID mean the same process to two observers: the kernel boot and the PID namespace. Two
 * processes with one hostname (a container on the host network beside a host process, or a machine rebooted
 * since) can only judge each other's PIDs when both match. Undefined where /proc does not tell (not Linux).
 */
export function pidScope(): { boot: string; pidns: string } | undefined {
  try {
    return {
      boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      pidns: readlinkSync('/proc/self/ns/pid'),
    };
  } catch {
    return undefined;
  }
}
