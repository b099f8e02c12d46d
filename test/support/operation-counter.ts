import { isImmutable } from 'immutable';

/**
 * Counts the work a function does on a value it is handed, without timing
 * anything: the value is wrapped in proxies that count every read of a plain
 * object or array (each property read, key listing or descriptor look-up is
 * one operation, so `{ ...record }` costs the record's size), and every call
 * on a persistent collection, where point operations (`get`, `set`, `has`,
 * `remove`, `add`, `size`…) cost one and anything else (iterating, filtering,
 * converting) costs the collection's size. Persistent collections are treated
 * as opaque: their internals are the library's, and their point operations
 * are O(log32 n).
 */
export class OperationCounter {
  count = 0;
  private readonly proxies = new WeakMap<object, object>();

  wrap<T>(value: T): T {
    if (value === null || typeof value !== 'object') return value;
    const target = value as object;
    const known = this.proxies.get(target);
    if (known) return known as T;
    const proxy = isImmutable(target) ? this.collectionProxy(target) : this.plainProxy(target);
    if (proxy === target) return value;
    this.proxies.set(target, proxy);
    this.proxies.set(proxy, proxy);
    return proxy as T;
  }

  private plainProxy(target: object): object {
    const prototype = Object.getPrototypeOf(target);
    if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) return target;
    return new Proxy(target, {
      get: (t, key) => {
        this.count++;
        const value = Reflect.get(t, key);
        const descriptor = Reflect.getOwnPropertyDescriptor(t, key);
        // A proxy must answer a frozen property with its own value.
        if (descriptor && !descriptor.configurable && !descriptor.writable) return value;
        return this.wrap(value);
      },
      ownKeys: (t) => {
        this.count++;
        return Reflect.ownKeys(t);
      },
      getOwnPropertyDescriptor: (t, key) => {
        this.count++;
        return Reflect.getOwnPropertyDescriptor(t, key);
      },
      has: (t, key) => {
        this.count++;
        return Reflect.has(t, key);
      },
    });
  }

  private collectionProxy(target: object): object {
    return new Proxy(target, {
      get: (t, key) => {
        const value = Reflect.get(t, key) as unknown;
        if (typeof value !== 'function') {
          this.count++;
          return value;
        }
        return (...args: unknown[]) => {
          const point = typeof key === 'string' && POINT_OPERATIONS.has(key);
          this.count += point ? 1 : Math.max(1, (t as { size?: number }).size ?? 1);
          const result = (value as (...a: unknown[]) => unknown).apply(t, args);
          // What `get` returns is state the caller reads on; new collections are the caller's own.
          return key === 'get' ? this.wrap(result) : result;
        };
      },
    });
  }
}

const POINT_OPERATIONS = new Set([
  'get',
  'has',
  'set',
  'remove',
  'delete',
  'add',
  'update',
  'includes',
  'contains',
]);
