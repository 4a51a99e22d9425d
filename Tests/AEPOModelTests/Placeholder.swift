// Tests of AEPOModel go in this folder; remove this file once one exists.
