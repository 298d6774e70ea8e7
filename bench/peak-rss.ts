/**
 * Preloaded into a measured CLI process (`node --import bench/peak-rss.ts src/cli/main.ts …`):
 * writes the process's peak RSS in KiB to MEMARC_PEAK_RSS_FILE when it exits, however it exits.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.MEMARC_PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
