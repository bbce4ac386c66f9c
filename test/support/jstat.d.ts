// jstat ships no types; this is the one function the tests use.
declare module "jstat" {
    const jStat: {chisquare: {cdf(x: number, degreesOfFreedom: number): number}};
    export default jStat;
}
