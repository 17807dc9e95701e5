// The box's time sources as the tools print them (samples after the chronyc(1), ntpq(1)
// and timedatectl(1) documentation and real boxes).
import { describe, expect, it } from 'vitest';
import { parseChronyTracking, parseNtpqPeers, parseTimedatectlShow, timeSyncCheck } from '../../agent/diagnose/host.js';

const CHRONY_SYNCED = `Reference ID    : CB00710F (203.0.113.15)
Stratum         : 3
Ref time (UTC)  : Fri Jan 27 09:49:17 2017
System time     : 0.000006523 seconds slow of NTP time
Last offset     : -0.000006747 seconds
RMS offset      : 0.000035822 seconds
Frequency       : 3.225 ppm slow
Residual freq   : -0.000 ppm
Skew            : 0.129 ppm
Root delay      : 0.013639022 seconds
Root dispersion : 0.001100737 seconds
Update interval : 64.2 seconds
Leap status     : Normal
`;

const CHRONY_FAST = CHRONY_SYNCED.replace('0.000006523 seconds slow', '2.500000000 seconds fast');

const CHRONY_UNSYNCED = `Reference ID    : 00000000 ()
Stratum         : 0
Ref time (UTC)  : Thu Jan 01 00:00:00 1970
System time     : 0.000000000 seconds fast of NTP time
Last offset     : +0.000000000 seconds
RMS offset      : 0.000000000 seconds
Frequency       : 0.000 ppm slow
Residual freq   : +0.000 ppm
Skew            : 0.000 ppm
Root delay      : 1.000000000 seconds
Root dispersion : 1.000000000 seconds
Update interval : 0.0 seconds
Leap status     : Not synchronised
`;

const NTPQ_SYNCED = `     remote           refid      st t when poll reach   delay   offset  jitter
==============================================================================
+10.123.33.8     132.163.97.6     2 u   10   32  377    2.098   -0.782   6.481
*10.123.33.1     129.6.15.28      2 u    7   32  377    2.030   -0.720   0.032
`;

// ntpsec: pool entries and peers still being tried, nobody selected; offsets carry a sign.
const NTPQ_UNSYNCED = `     remote           refid      st t when poll reach   delay   offset   jitter
=======================================================================================================
 0.debian.pool.ntp.org   .POOL.          16 p    -  256    0   0.0000   0.0000   0.0001
 203.0.113.5     .INIT.          16 u    -   64    0   0.0000  +0.0000   0.0001
`;

const TIMEDATECTL_SHOW = `Timezone=Asia/Shanghai
LocalRTC=no
CanNTP=yes
NTP=yes
NTPSynchronized=yes
TimeUSec=Fri 2026-11-27 09:30:00 CST
RTCTimeUSec=Fri 2026-11-27 09:30:00 CST
`;

describe('box time sync parsers', () => {
  it('chronyc tracking: slow = the box is behind (negative offset), the server, the leap status', () => {
    const s = parseChronyTracking(CHRONY_SYNCED)!;
    expect(s).toMatchObject({ source: 'chrony', synced: true, server: '203.0.113.15' });
    expect(s.offsetMs).toBeCloseTo(-0.006523, 6);
    expect(parseChronyTracking(CHRONY_FAST)!.offsetMs).toBeCloseTo(2500, 6);
    expect(parseChronyTracking(CHRONY_UNSYNCED)).toMatchObject({ source: 'chrony', synced: false });
    expect(parseChronyTracking('506 Cannot talk to daemon\n')).toBeNull();
  });

  it('ntpq -pn: the * line is the system peer; its offset (peer minus box, ms) becomes box minus NTP', () => {
    const s = parseNtpqPeers(NTPQ_SYNCED)!;
    expect(s).toEqual({ source: 'ntpq', synced: true, offsetMs: 0.72, server: '10.123.33.1' });
    expect(parseNtpqPeers(NTPQ_UNSYNCED)).toEqual({ source: 'ntpq', synced: false, offsetMs: null, server: null });
    expect(parseNtpqPeers('No association ID\'s returned\n')).toBeNull();
    expect(parseNtpqPeers('')).toBeNull();
  });

  it('timedatectl show: NTPSynchronized yes/no, no offset', () => {
    expect(parseTimedatectlShow(TIMEDATECTL_SHOW)).toEqual({ source: 'timedatectl', synced: true, offsetMs: null });
    expect(parseTimedatectlShow('NTP=yes\nNTPSynchronized=no\n')).toEqual({ source: 'timedatectl', synced: false, offsetMs: null });
    expect(parseTimedatectlShow('System has not been booted with systemd as init system (PID 1). Can\'t operate.\n')).toBeNull();
  });

  it('the check: pass when synchronised, warn above 1 s, fail when not synchronised, warn when unknown', () => {
    expect(timeSyncCheck(parseChronyTracking(CHRONY_SYNCED))).toMatchObject({ status: 'pass', detail: expect.stringContaining('chrony') });
    expect(timeSyncCheck(parseChronyTracking(CHRONY_FAST))).toMatchObject({ status: 'warn', detail: expect.stringContaining('offset 2.500 s') });
    expect(timeSyncCheck(parseNtpqPeers(NTPQ_UNSYNCED))).toMatchObject({ status: 'fail', advice: expect.stringMatching(/NTP/) });
    expect(timeSyncCheck(parseNtpqPeers(NTPQ_SYNCED))).toMatchObject({ status: 'pass', detail: expect.stringContaining('server 10.123.33.1') });
    expect(timeSyncCheck(null)).toMatchObject({ status: 'warn' });
  });
});
