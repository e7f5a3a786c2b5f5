// Server-Sent Events parser for fetch() streams (EventSource cannot send a POST body or an
// Authorization header). Feed it text as it arrives; it returns each complete event's data.
// Only `data:` lines matter to the OpenAI stream format; comments and other fields are skipped.
export class SseParser {
  constructor() {
    this.buffer = '';
    this.data = [];
  }

  // Returns the data strings of the events completed by `chunk`.
  feed(chunk) {
    this.buffer += chunk;
    const out = [];
    let nl;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const len = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (len === 1 && this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(nl + len);
      if (line === '') {
        if (this.data.length) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
    return out;
  }
}
