import {Resvg} from "@resvg/resvg-js";
import * as vega from "vega";
import {compile, type TopLevelSpec} from "vega-lite";
import type {BenchRow} from "./benchTypes.js";
import {paretoFrontier} from "./paretoFrontier.js";

/**
 * Speed-up (x) against ROUGE-L delta vs big (y) for every row, with the Pareto frontier of the rows
 * that ran drawn (bounds are plotted but are not reachable settings).
 */
export async function frontierSvg(allRows: readonly BenchRow[], title: string): Promise<string> {
    // A failed row has no point to draw.
    const rows = allRows.filter((row) => row.error == null);
    const measured = rows.filter((row) => !row.bound);
    const frontier = new Set(paretoFrontier(measured.map((row) => ({x: row.speedup, y: row.rougeLDelta}))).map((i) => measured[i]));
    const points = rows.map((row) => ({
        name: row.name, mode: row.mode, speedup: row.speedup, rougeLDelta: row.rougeLDelta, frontier: frontier.has(row)
    }));
    const spec: TopLevelSpec = {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title,
        width: 640,
        height: 400,
        background: "white",
        data: {values: points},
        layer: [
            {
                transform: [{filter: "datum.frontier"}],
                mark: {type: "line", color: "#888", strokeDash: [4, 3]},
                encoding: {x: {field: "speedup", type: "quantitative", scale: {type: "log"}}, y: {field: "rougeLDelta", type: "quantitative"}}
            },
            {
                mark: {type: "point", filled: true, size: 70},
                encoding: {
                    // Log scale: the little model's ~50× would squash every other row against 1×.
                    x: {field: "speedup", type: "quantitative", title: "speed-up vs big (×, log scale)", scale: {type: "log"}},
                    y: {field: "rougeLDelta", type: "quantitative", title: "ROUGE-L vs reference, points relative to big", scale: {zero: false}},
                    color: {field: "mode", type: "nominal", title: "mode"},
                    shape: {field: "frontier", type: "nominal", title: "on frontier"}
                }
            },
            {
                // Only frontier points are named: the others crowd the lossless line.
                transform: [{filter: "datum.frontier"}],
                mark: {type: "text", align: "left", dx: 6, dy: -6, fontSize: 9},
                encoding: {
                    x: {field: "speedup", type: "quantitative", scale: {type: "log"}},
                    y: {field: "rougeLDelta", type: "quantitative"},
                    text: {field: "name", type: "nominal"}
                }
            }
        ]
    };
    const view = new vega.View(vega.parse(compile(spec).spec), {renderer: "none"});
    try {
        return await view.toSVG();
    } finally {
        view.finalize();
    }
}

export function svgToPng(svg: string): Buffer {
    return new Resvg(svg, {background: "white", fitTo: {mode: "width", value: 1400}}).render().asPng();
}
