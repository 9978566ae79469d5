/**
 * Sets an own property, also when the key is `__proto__`: ids, port names, params and message
 * keys come from users, and a plain assignment of `__proto__` would set the object's
 * prototype instead (the value silently lost, or a crash later).
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  // A plain assignment for every other key: defineProperty is a slow path on every message.
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
