/**
 * Collects extracted text up to a character limit. Parsers check `full` and stop reading early,
 * so a huge spreadsheet costs no more than the text we would keep.
 */
export class TextSink {
  private readonly parts: string[] = [];
  private length = 0;
  private last = '\n';
  truncated = false;

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.length >= this.limit;
  }

  push(text: string): void {
    if (text === '') return;
    if (this.full) {
      this.truncated = true;
      return;
    }
    const room = this.limit - this.length;
    const kept = text.length > room ? text.slice(0, room) : text;
    if (kept.length < text.length) this.truncated = true;
    this.parts.push(kept);
    this.length += kept.length;
    this.last = kept.slice(-1);
  }

  /** A line break, unless the text already ends with one (empty paragraphs collapse). */
  newline(): void {
    if (this.last !== '\n') this.push('\n');
  }

  toString(): string {
    return this.parts.join('');
  }
}

/** A short-lived text collector for one value (a cell, a title), bounded like the sink. */
export class TextBuffer {
  private value = '';
  constructor(private readonly limit = 1_000_000) {}
  push(text: string): void {
    if (this.value.length < this.limit) this.value += text;
  }
  take(): string {
    const v = this.value;
    this.value = '';
    return v;
  }
  get text(): string {
    return this.value;
  }
}

/**
 * Paragraph breaks inside table cells: a row reads `a<TAB>b<TAB>c`, and a cell's own paragraphs
 * break only between them, so a paragraph end inside a cell is deferred until more text comes.
 */
export class CellLayout {
  private depth = 0;
  private pendingBreak = false;
  constructor(private readonly sink: TextSink) {}

  push(text: string): void {
    if (this.pendingBreak) {
      this.sink.push('\n');
      this.pendingBreak = false;
    }
    this.sink.push(text);
  }

  endParagraph(): void {
    if (this.depth > 0) this.pendingBreak = true;
    else this.sink.newline();
  }

  openCell(): void {
    this.depth += 1;
    this.pendingBreak = false;
  }

  closeCell(): void {
    this.depth = Math.max(this.depth - 1, 0);
    this.pendingBreak = false;
    this.sink.push('\t');
  }
}
