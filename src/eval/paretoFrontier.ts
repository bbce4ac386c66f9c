/** A point to maximise in both coordinates (e.g. speed-up and quality delta). */
export type FrontierPoint = {readonly x: number, readonly y: number};

/**
 * Indexes of the points no other point dominates (at least as good in both coordinates and better
 * in one), ordered by increasing x.
 */
export function paretoFrontier(points: readonly FrontierPoint[]): number[] {
    const order = points.map((_, i) => i).sort((a, b) => points[b]!.x - points[a]!.x || points[b]!.y - points[a]!.y);
    const frontier: number[] = [];
    let bestY = Number.NEGATIVE_INFINITY;
    for (const index of order) {
        if (points[index]!.y > bestY) {
            frontier.push(index);
            bestY = points[index]!.y;
        }
    }
    return frontier.reverse();
}
