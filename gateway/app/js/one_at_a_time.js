// A task that runs one at a time: asked again while it runs, it runs once more right after
// (once, however often it was asked meanwhile), so the latest ask is always served.

export function oneAtATime(task) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = task().finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
    return running;
  };
  return run;
}
