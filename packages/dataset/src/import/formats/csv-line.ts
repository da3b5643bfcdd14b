/**
 * Splits one CSV record (RFC 4180 quoting: `"a, b"`, `""` for a quote) that fits on one line.
 * Returns undefined for an unterminated quote or text after a closing quote.
 */
export function parseCsvLine(line: string, delimiter = ','): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return undefined;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== delimiter) return undefined;
      i++;
    } else {
      const end = line.indexOf(delimiter, i);
      if (end === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
}
