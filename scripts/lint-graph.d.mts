/** Each package file (relative to the package, with `/`) and the package files it imports. */
export function importGraph(dir: string): Map<string, Set<string>>;
/** The import cycles of a graph, each as its files with the first repeated at the end. */
export function findCycles(graph: Map<string, Set<string>>): string[][];
/** Imports that reach past core's eras seam (`src/eras/index.ts`), one line each. */
export function seamBreaches(graph: Map<string, Set<string>>, eras?: string): string[];
