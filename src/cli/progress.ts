/** A live progress line on a terminal's stderr; silent anywhere else. */
export class Progress {
  private records = 0;
  private pages = 0;
  private total: number | undefined;
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  page(records: number, total: number | undefined): void {
    this.pages++;
    this.records += records;
    this.total = total ?? this.total;
    const now = performance.now();
    if (now - this.lastDraw > 100) this.draw(now);
  }

  done(): void {
    if (!this.enabled) return;
    this.draw(performance.now());
    this.stream.write('\n');
  }

  private draw(now: number): void {
    if (!this.enabled) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? this.records / seconds : 0;
    let line = `${this.records.toLocaleString('en-US')} records, ${this.pages} page${this.pages === 1 ? '' : 's'}, ${Math.round(rate).toLocaleString('en-US')} records/s`;
    if (this.total !== undefined && this.total > 0) {
      const left = Math.max(0, this.total - this.records);
      line += `, ${Math.min(100, Math.round((this.records / this.total) * 100))}% of ${this.total.toLocaleString('en-US')}`;
      if (rate > 0) line += `, ETA ${Math.ceil(left / rate)} s`;
    }
    this.stream.write(`\r\x1b[2K${line}`);
  }
}
