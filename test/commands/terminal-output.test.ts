import { describe, expect, it } from 'vitest';
import { colorAllowed, defaultLogLevel } from '../../src/log.js';
import { showStatusLine, writeAboveStatusLine } from '../../src/terminal-status.js';

describe('terminal output for people', () => {
  it('logs at warn on a terminal unless a level is asked for; info for services; --quiet is errors only', () => {
    expect(defaultLogLevel({ terminal: true })).toBe('warn');
    expect(defaultLogLevel({ terminal: false })).toBe('info');
    expect(defaultLogLevel({ terminal: true, asked: 'debug' })).toBe('debug');
    expect(defaultLogLevel({ terminal: false, asked: 'warn' })).toBe('warn');
    expect(defaultLogLevel({ terminal: true, quiet: true })).toBe('error');
    expect(defaultLogLevel({ terminal: false, quiet: true, asked: 'info' })).toBe('error');
  });

  it('colours only on a terminal, and never with NO_COLOR set to a non-empty value (no-color.org)', () => {
    expect(colorAllowed({ isTTY: true }, {})).toBe(true);
    expect(colorAllowed({ isTTY: false }, {})).toBe(false);
    expect(colorAllowed({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorAllowed({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('a line written while the progress bar is up goes above it: the bar is erased, then drawn again whole', () => {
    const out: string[] = [];
    const write = (b: Uint8Array) => void out.push(Buffer.from(b).toString());
    writeAboveStatusLine('before\n', write);
    const hide = showStatusLine({ redraw: () => out.push('[bar 40%]') });
    writeAboveStatusLine('a log line\n', write);
    hide();
    writeAboveStatusLine('after\n', write);
    expect(out.join('')).toBe('before\n\r\x1b[2Ka log line\n[bar 40%]after\n');
  });
});
