// Types of the vendored uPlot (uplot.esm.js, a copy of node_modules/uplot/dist/uPlot.esm.js): the package's own.
import uPlot from "uplot"

export default uPlot
