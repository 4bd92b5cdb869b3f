// Types for ml-logistic-regression 2.0.0 (mljs), which ships none: only what src/lookalikes uses.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  class LogisticRegressionTwoClasses {
    weights: Matrix;
    testScores(features: Matrix): number[];
  }

  export default class LogisticRegression {
    /** One-vs-all: classifier i was trained with target 0 for class i and 1 for every other class. */
    classifiers: LogisticRegressionTwoClasses[];
    constructor(options?: { numSteps?: number; learningRate?: number });
    train(features: Matrix, target: Matrix): void;
    predict(features: Matrix): number[];
  }
}
