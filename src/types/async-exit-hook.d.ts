/** The part of async-exit-hook 2.x that qrec uses (the package ships no types). */
declare module 'async-exit-hook' {
  interface ExitHook {
    (hook: (done?: () => void) => void): void;
    /** Names of the process events and signals the hooks listen to. */
    hookedEvents(): string[];
    /** Stops the hooks from running on this event or signal. */
    unhookEvent(event: string): void;
  }
  const exitHook: ExitHook;
  export = exitHook;
}
