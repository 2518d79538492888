/** The people picker's bounds: the users function enforces them, the directories guard them again. */
export const searchLimits = {
  /** One letter matches half the tenant: a search starts at two characters. */
  minLength: 2,
  maxLength: 100,
  defaultTop: 10,
  maxTop: 25,
} as const;
