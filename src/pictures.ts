// vaekit/pictures: pictures of models as RGBA pixels (grids of images, reconstructions beside originals, a latent
// scatter coloured by label, training curves) and their PNG encoding; the charts also as SVG documents. Drawing needs
// nothing; encodePng needs the optional peer dependency fast-png. Imports nothing from the core except its error classes (from "vaekit").
export { imageGrid, reconstructionGrid } from "./pictures/grid.js";
export type { GridOptions } from "./pictures/grid.js";
export { latentScatter, latentScatterSvg } from "./pictures/scatter.js";
export type { ScatterOptions } from "./pictures/scatter.js";
export { lineChart, lineChartSvg } from "./pictures/chart.js";
export type { ChartOptions, ChartSeries, LegendEntry } from "./pictures/chart.js";
export { encodePng } from "./pictures/png.js";
export { PALETTE } from "./pictures/palette.js";
export type { Picture, Rgb } from "./pictures/picture.js";
export type { Margin } from "./pictures/plot-area.js";
