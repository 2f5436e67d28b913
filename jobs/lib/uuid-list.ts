/**
 * UUIDs held compactly, 16 bytes each (four 32-bit words), and sorted the way PostgreSQL orders its uuid type,
 * byte by byte: a million take 16 MB, where the same ids as strings in a Set take well over 100 MB, and a sorted
 * list can be merged with `ORDER BY id` pages in one pass.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The four big-endian 32-bit words of a UUID, or undefined for text that is not one. */
export function uuidWords(id: string): [number, number, number, number] | undefined {
  if (!UUID.test(id)) return undefined;
  const hex = id.replace(/-/g, '');
  return [0, 8, 16, 24].map((at) => parseInt(hex.slice(at, at + 8), 16)) as [number, number, number, number];
}

function hexWord(word: number): string {
  return word.toString(16).padStart(8, '0');
}

/** A sorted list of distinct UUIDs. */
export class UuidList {
  /** @param words four words per id, sorted, without duplicates */
  constructor(
    private readonly words: Uint32Array,
    public readonly size: number,
  ) {}

  /** The id at `index`, in the canonical lower-case form. */
  public idAt(index: number): string {
    const [a, b, c, d] = this.words.subarray(index * 4, index * 4 + 4);
    const hex = hexWord(a) + hexWord(b) + hexWord(c) + hexWord(d);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Negative, zero or positive as the id at `index` sorts before, as, or after `id` (given as its words). */
  public compareAt(index: number, id: readonly number[]): number {
    for (let k = 0; k < 4; k++) {
      const difference = this.words[index * 4 + k] - id[k];
      if (difference !== 0) return difference;
    }
    return 0;
  }

  public has(id: string): boolean {
    const words = uuidWords(id);
    if (!words) return false;
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = this.compareAt(middle, words);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}

/** Collects ids in any order, then sorts them once into a UuidList. */
export class UuidListBuilder {
  private words = new Uint32Array(4 * 1024);
  private count = 0;

  /** Adds `id`; text that is not a UUID is left out (no uuid column can hold it) and answered with false. */
  public add(id: string): boolean {
    const words = uuidWords(id);
    if (!words) return false;
    if ((this.count + 1) * 4 > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words.set(words, this.count * 4);
    this.count++;
    return true;
  }

  public build(): UuidList {
    const { words, count } = this;
    const word = (index: number, k: number) => words[index * 4 + k];
    const order = new Uint32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    order.sort((x, y) => word(x, 0) - word(y, 0) || word(x, 1) - word(y, 1) || word(x, 2) - word(y, 2) || word(x, 3) - word(y, 3));
    const sorted = new Uint32Array(count * 4);
    let size = 0;
    for (const index of order) {
      const last = (size - 1) * 4;
      const duplicate =
        size > 0 && sorted[last] === word(index, 0) && sorted[last + 1] === word(index, 1) && sorted[last + 2] === word(index, 2) && sorted[last + 3] === word(index, 3);
      if (!duplicate) sorted.set(words.subarray(index * 4, index * 4 + 4), size++ * 4);
    }
    this.words = new Uint32Array(4 * 1024);
    this.count = 0;
    return new UuidList(sorted.subarray(0, size * 4), size);
  }
}
